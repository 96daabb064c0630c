// sentencepiece: a SentencePiece model protobuf through libsentencepiece.
#include <fmt/format.h>
#include <sentencepiece_processor.h>

#include "core/tokenizer/tokenizer_formats.h"

namespace kick {
namespace {

class sentencepiece_tokenizer final : public tokenizer {
 public:
  explicit sentencepiece_tokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor)
      : processor_(std::move(processor)) {}

  std::string kind() const override { return "sentencepiece"; }
  std::int64_t vocab_size() const override { return processor_->GetPieceSize(); }
  std::int32_t bos() const override { return processor_->bos_id(); }
  std::int32_t eos() const override { return processor_->eos_id(); }

  std::string piece(std::int32_t token) const override {
    return contains(token) ? processor_->IdToPiece(token) : std::string();
  }

  result<std::vector<std::int32_t>> encode(std::string_view text, bool add_bos) const override {
    std::vector<int> ids;
    const sentencepiece::util::Status s = processor_->Encode(text, &ids);
    if (!s.ok()) return fail(status_code::invalid_argument, fmt::format("sentencepiece encode: {}", s.ToString()));
    std::vector<std::int32_t> out;
    out.reserve(ids.size() + 1);
    if (add_bos && bos() >= 0) out.push_back(bos());
    out.insert(out.end(), ids.begin(), ids.end());
    return out;
  }

  // libsentencepiece's decoder; ids outside the vocabulary produce nothing.
  std::string decode(std::span<const std::int32_t> tokens) const override {
    std::vector<int> ids;
    ids.reserve(tokens.size());
    for (const std::int32_t t : tokens) {
      if (contains(t)) ids.push_back(t);
    }
    std::string text;
    if (!processor_->Decode(ids, &text).ok()) return {};
    return text;
  }

 private:
  bool contains(std::int32_t token) const { return token >= 0 && token < processor_->GetPieceSize(); }

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

}  // namespace

result<std::unique_ptr<tokenizer>> make_sentencepiece_tokenizer(std::string_view serialized,
                                                                const std::filesystem::path& path) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const sentencepiece::util::Status s = processor->LoadFromSerializedProto(serialized);
  if (!s.ok()) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: not a valid sentencepiece model: {}", path.string(), s.ToString()));
  }
  if (processor->GetPieceSize() <= 0) {
    return fail(status_code::invalid_argument, fmt::format("{}: sentencepiece model has no pieces", path.string()));
  }
  return std::make_unique<sentencepiece_tokenizer>(std::move(processor));
}

}  // namespace kick
