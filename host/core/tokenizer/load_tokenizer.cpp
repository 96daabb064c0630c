// load_tokenizer(): picks the tokenizer format from the file's content.
#include <fmt/format.h>

#include <cstring>

#include "core/tokenizer/tokenizer_formats.h"
#include "core/util/mapped_file.h"

namespace kick {

// Order: the "GGUF" magic decides alone; otherwise a file that parses cleanly as a llama2.c
// tokenizer.bin (strict: every record fits, lengths within max_token_length) is one, else one
// that libsentencepiece loads is a SentencePiece model. When neither parses, the error of the
// format the extension names (.bin, .model) is returned, else "unrecognised tokenizer format".
result<std::unique_ptr<tokenizer>> load_tokenizer(const std::filesystem::path& path) {
  const std::string name = path.string();
  const auto file = mapped_file::open(path);
  if (!file) return std::unexpected(file.error());
  const std::span<const std::byte> bytes = (*file)->bytes();
  if (bytes.empty()) {
    return fail(status_code::invalid_argument, fmt::format("{}: tokenizer file is empty", name));
  }
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) {
    const result<gguf_file> gguf = gguf_file::open(path);
    if (!gguf) return std::unexpected(gguf.error());
    return make_gguf_spm_tokenizer(*gguf);
  }

  auto llama2c = make_llama2c_tokenizer(bytes, path);
  if (llama2c) return llama2c;
  const std::string_view serialized(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto spm = make_sentencepiece_tokenizer(serialized, path);
  if (spm) return spm;

  const std::filesystem::path extension = path.extension();
  if (extension == ".bin") return llama2c;
  if (extension == ".model") return spm;
  return fail(status_code::invalid_argument,
              fmt::format("{}: unrecognised tokenizer format (not gguf, a sentencepiece model protobuf or a "
                          "llama2.c tokenizer.bin)",
                          name));
}

}  // namespace kick
