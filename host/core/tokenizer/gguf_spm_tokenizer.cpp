// gguf-spm: the Llama SentencePiece vocabulary stored in GGUF metadata, encoded as SentencePiece's
// BPE model (and llama.cpp's SPM tokenizer) does: optional dummy-space prefix, ' ' -> U+2581,
// UTF-8 characters merged by score, unmergeable symbols resegmented or byte-encoded.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/tokenizer/spm_merge.h"
#include "core/tokenizer/spm_vocab.h"
#include "core/tokenizer/tokenizer_formats.h"

namespace kick {
namespace {

constexpr std::string_view k_space_symbol = "\xE2\x96\x81";  // U+2581, SentencePiece's space
constexpr std::size_t k_max_text_bytes = std::size_t{1} << 29;  // escaped text stays < 2^31

struct special_tokens {
  std::int32_t bos = 1;
  std::int32_t eos = 2;
  std::int32_t unknown = 0;  // -1: none
};

class gguf_spm_tokenizer final : public tokenizer {
 public:
  gguf_spm_tokenizer(spm_vocab vocab, const special_tokens& special, bool add_space_prefix)
      : vocab_(std::move(vocab)),
        rules_(make_spm_merge_rules(vocab_,
                                    spm_type_bit(spm_token_type::normal) | spm_type_bit(spm_token_type::user_defined) |
                                        spm_type_bit(spm_token_type::unused),
                                    std::nullopt, /*record_unused_splits=*/true)),
        special_(special),
        add_space_prefix_(add_space_prefix) {
    for (std::int32_t t = 0; t < vocab_.size(); ++t) {
      if (vocab_.type(t) != spm_token_type::user_defined || vocab_.piece(t).empty()) continue;
      const std::string& p = vocab_.piece(t);
      user_defined_first_byte_[static_cast<std::uint8_t>(p[0])] = true;
      if (std::ranges::find(user_defined_sizes_, p.size()) == user_defined_sizes_.end()) {
        user_defined_sizes_.push_back(p.size());
      }
    }
    std::ranges::sort(user_defined_sizes_, std::greater<>());
  }

  std::string kind() const override { return "gguf-spm"; }
  std::int64_t vocab_size() const override { return vocab_.size(); }
  std::int32_t bos() const override { return special_.bos; }
  std::int32_t eos() const override { return special_.eos; }
  std::string piece(std::int32_t token) const override {
    return vocab_.contains(token) ? vocab_.piece(token) : std::string();
  }
  std::string decode(std::span<const std::int32_t> tokens) const override {
    return vocab_.decode(tokens, k_space_symbol);
  }

  result<std::vector<std::int32_t>> encode(std::string_view text, bool add_bos) const override {
    if (text.size() > k_max_text_bytes) {
      return fail(status_code::out_of_range,
                  fmt::format("text of {} bytes is too long to tokenize at once (at most {})", text.size(),
                              k_max_text_bytes));
    }
    std::vector<std::int32_t> ids;
    if (add_bos && special_.bos >= 0) ids.push_back(special_.bos);
    if (text.empty()) return ids;

    std::string normalized;
    normalized.reserve(text.size() + text.size() / 2 + k_space_symbol.size());
    if (add_space_prefix_) normalized.append(k_space_symbol);
    for (const char c : text) {
      if (c == ' ') {
        normalized.append(k_space_symbol);
      } else {
        normalized.push_back(c);
      }
    }

    const std::vector<spm_initial_symbol> initial = split(normalized);
    const spm_merge_result merged = spm_merge(normalized, initial, vocab_, rules_);
    ids.reserve(ids.size() + merged.pieces.size());
    for (const std::string_view p : merged.pieces) {
      if (!resegment(p, merged, ids)) {
        return fail(status_code::invalid_argument,
                    fmt::format("cannot encode the symbol starting with byte 0x{:02X}: the vocabulary has "
                                "neither byte tokens for it nor an unknown token",
                                static_cast<std::uint8_t>(p[0])));
      }
    }
    return ids;
  }

 private:
  // UTF-8 characters, except that a user-defined piece matching at a position (the longest
  // one) becomes one frozen symbol, as SentencePiece's prefix matcher does.
  std::vector<spm_initial_symbol> split(std::string_view text) const {
    std::vector<spm_initial_symbol> symbols;
    symbols.reserve(text.size());
    std::size_t at = 0;
    while (at < text.size()) {
      const std::string_view rest = text.substr(at);
      std::size_t size = 0;
      bool frozen = false;
      if (user_defined_first_byte_[static_cast<std::uint8_t>(rest[0])]) {
        for (const std::size_t n : user_defined_sizes_) {
          if (n > rest.size()) continue;
          const std::int32_t t = vocab_.find(rest.substr(0, n));
          if (t >= 0 && vocab_.type(t) == spm_token_type::user_defined) {
            size = n;
            frozen = true;
            break;
          }
        }
      }
      if (size == 0) size = std::min(utf8_char_size(rest[0]), rest.size());
      symbols.push_back({static_cast<std::uint32_t>(size), frozen});
      at += size;
    }
    return symbols;
  }

  // A piece of the vocabulary (not unused) becomes its id; an unused piece is split back along
  // the merge that formed it; anything else becomes byte tokens (or unknown without them).
  // False when a byte has no token and there is no unknown token.
  bool resegment(std::string_view p, const spm_merge_result& merged, std::vector<std::int32_t>& ids) const {
    const std::int32_t t = vocab_.find(p);
    if (t >= 0 && vocab_.type(t) != spm_token_type::unused) {
      ids.push_back(t);
      return true;
    }
    if (t >= 0) {
      const auto split = merged.unused_splits.find(p);
      if (split == merged.unused_splits.end()) {
        ids.push_back(t);
        return true;
      }
      return resegment(split->second.first, merged, ids) && resegment(split->second.second, merged, ids);
    }
    for (const char c : p) {
      const std::int32_t b = vocab_.byte_token(static_cast<std::uint8_t>(c));
      if (b < 0 && special_.unknown < 0) return false;
      ids.push_back(b >= 0 ? b : special_.unknown);
    }
    return true;
  }

  spm_vocab vocab_;
  spm_merge_rules rules_;  // SentencePiece merges into normal, user-defined and unused pieces
  special_tokens special_;
  bool add_space_prefix_;
  std::array<bool, 256> user_defined_first_byte_{};
  std::vector<std::size_t> user_defined_sizes_;  // distinct sizes, longest first
};

// An optional token id key: `fallback` when absent, else an integer in [-1, n_tokens).
result<std::int32_t> token_id_key(const gguf_file& file, std::string_view key, std::int32_t fallback,
                                  std::int64_t n_tokens) {
  if (file.find(key) == nullptr) return fallback;
  const result<std::int64_t> v = file.get_int(key);
  if (!v) return std::unexpected(v.error());
  if (*v < -1 || *v >= n_tokens) {
    return fail(status_code::out_of_range, fmt::format("{}: metadata key '{}' = {} is not a token id (accepted -1..{})",
                                                       file.path().string(), key, *v, n_tokens - 1));
  }
  return static_cast<std::int32_t>(*v);
}

// An optional numeric array with one entry per token: empty when absent.
result<std::vector<double>> per_token_numbers(const gguf_file& file, std::string_view key, std::size_t n_tokens) {
  if (file.find(key) == nullptr) return std::vector<double>{};
  result<std::vector<double>> v = file.get_number_array(key);
  if (!v) return v;
  if (v->size() != n_tokens) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: metadata key '{}' has {} entries but tokenizer.ggml.tokens has {}",
                            file.path().string(), key, v->size(), n_tokens));
  }
  return v;
}

}  // namespace

result<std::unique_ptr<tokenizer>> make_gguf_spm_tokenizer(const gguf_file& file) {
  const std::string path = file.path().string();
  if (file.find("tokenizer.ggml.model") == nullptr) {
    return fail(status_code::not_found,
                fmt::format("{}: no tokenizer in this gguf file (metadata key 'tokenizer.ggml.model' is missing)", path));
  }
  const result<std::string> model = file.get_string("tokenizer.ggml.model");
  if (!model) return std::unexpected(model.error());
  if (*model != "llama") {
    return fail(status_code::unimplemented,
                fmt::format("{}: tokenizer.ggml.model '{}' is not supported (only 'llama', SentencePiece)", path, *model));
  }
  const result<std::vector<std::string_view>> tokens = file.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return std::unexpected(tokens.error());
  const std::size_t n_tokens = tokens->size();
  if (n_tokens == 0 || n_tokens > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: tokenizer.ggml.tokens has {} entries (accepted 1..2^31-1)", path, n_tokens));
  }
  const auto scores = per_token_numbers(file, "tokenizer.ggml.scores", n_tokens);
  if (!scores) return std::unexpected(scores.error());
  const auto types = per_token_numbers(file, "tokenizer.ggml.token_type", n_tokens);
  if (!types) return std::unexpected(types.error());

  spm_vocab vocab;
  for (std::size_t i = 0; i < n_tokens; ++i) {
    const float score = scores->empty() ? 0.0f : static_cast<float>((*scores)[i]);
    if (std::isnan(score)) {
      return fail(status_code::invalid_argument, fmt::format("{}: tokenizer.ggml.scores[{}] is nan", path, i));
    }
    spm_token_type type = spm_token_type::normal;
    if (!types->empty()) {
      const double t = (*types)[i];
      if (!(t >= 0 && t <= 6) || t != std::floor(t)) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: tokenizer.ggml.token_type[{}] = {} (accepted 0..6)", path, i, t));
      }
      if (t != 0) type = static_cast<spm_token_type>(static_cast<int>(t));  // 0: undefined, as normal
    }
    const std::string_view piece = (*tokens)[i];
    if (type == spm_token_type::byte) {
      const int byte = parse_byte_piece(piece);
      if (byte < 0) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: token {} has type byte but piece '{}' (expected <0xNN>)", path, i, piece));
      }
      vocab.set_byte_token(static_cast<std::uint8_t>(byte), static_cast<std::int32_t>(i));
    }
    vocab.add(piece, score, type, /*later_wins=*/true);  // as llama.cpp's token_to_id map
  }

  const auto n = static_cast<std::int64_t>(n_tokens);
  const auto bos = token_id_key(file, "tokenizer.ggml.bos_token_id", 1, n);
  if (!bos) return std::unexpected(bos.error());
  const auto eos = token_id_key(file, "tokenizer.ggml.eos_token_id", 2, n);
  if (!eos) return std::unexpected(eos.error());
  const auto unknown = token_id_key(file, "tokenizer.ggml.unknown_token_id", 0, n);
  if (!unknown) return std::unexpected(unknown.error());
  bool add_space_prefix = true;
  if (const gguf_value* v = file.find("tokenizer.ggml.add_space_prefix"); v != nullptr) {
    if (v->type != gguf_type::boolean) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: metadata key 'tokenizer.ggml.add_space_prefix' is not a bool", path));
    }
    add_space_prefix = v->u != 0;
  }
  return std::make_unique<gguf_spm_tokenizer>(std::move(vocab), special_tokens{*bos, *eos, *unknown},
                                              add_space_prefix);
}

}  // namespace kick
