// llama2c: llama2.c's tokenizer.bin and its encode(): a dummy " " prefix, each UTF-8 character
// looked up as a piece (else its bytes as byte tokens), then merges by score over the pieces'
// text. Pieces store spaces as ' ' (not U+2581). Token 0 is unknown, 1 BOS, 2 EOS.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/tokenizer/spm_merge.h"
#include "core/tokenizer/spm_vocab.h"
#include "core/tokenizer/tokenizer_formats.h"

namespace kick {
namespace {

constexpr std::int32_t k_unknown = 0;
constexpr std::int32_t k_bos = 1;
constexpr std::int32_t k_eos = 2;
constexpr std::int32_t k_max_token_length = 1 << 16;  // far above any real vocabulary
constexpr float k_min_merge_score = -1e10f;            // llama2.c's initial best score
constexpr std::size_t k_max_text_bytes = std::size_t{1} << 28;  // byte pieces grow it 6x

class llama2c_tokenizer final : public tokenizer {
 public:
  explicit llama2c_tokenizer(spm_vocab vocab)
      : vocab_(std::move(vocab)), rules_(make_spm_merge_rules(vocab_, ~0u, k_min_merge_score, false)) {}

  std::string kind() const override { return "llama2c"; }
  std::int64_t vocab_size() const override { return vocab_.size(); }
  std::int32_t bos() const override { return k_bos; }
  std::int32_t eos() const override { return k_eos; }
  std::string piece(std::int32_t token) const override {
    return vocab_.contains(token) ? vocab_.piece(token) : std::string();
  }
  std::string decode(std::span<const std::int32_t> tokens) const override { return vocab_.decode(tokens, " "); }

  result<std::vector<std::int32_t>> encode(std::string_view text, bool add_bos) const override {
    if (text.size() > k_max_text_bytes) {
      return fail(status_code::out_of_range,
                  fmt::format("text of {} bytes is too long to tokenize at once (at most {})", text.size(),
                              k_max_text_bytes));
    }
    std::vector<std::int32_t> ids;
    if (add_bos) ids.push_back(k_bos);
    if (text.empty()) return ids;

    // The initial tokens' pieces, concatenated: merging adjacent spans of this buffer is
    // llama2.c's merging of vocab[tokens[i]] and vocab[tokens[i+1]].
    std::string buffer;
    std::vector<spm_initial_symbol> initial;
    buffer.reserve(text.size() + 1);
    initial.reserve(text.size() + 1);
    add_character(" ", buffer, initial);  // the dummy prefix
    // llama2.c's grouping: a byte that is not a continuation byte starts a character, which
    // takes the continuation bytes that follow, up to 4 bytes in all.
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = start + 1;
      while (end < text.size() && end - start < 4 && (static_cast<std::uint8_t>(text[end]) & 0xC0) == 0x80) ++end;
      add_character(text.substr(start, end - start), buffer, initial);
      start = end;
    }

    if (buffer.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      return fail(status_code::out_of_range,
                  fmt::format("text of {} bytes expands to {} bytes of pieces, too long to tokenize at once",
                              text.size(), buffer.size()));
    }
    const spm_merge_result merged = spm_merge(buffer, initial, vocab_, rules_);
    for (const std::string_view p : merged.pieces) {
      const std::int32_t t = vocab_.find(p);  // every symbol is some token's piece
      ids.push_back(t >= 0 ? t : k_unknown);
    }
    return ids;
  }

 private:
  void add_character(std::string_view character, std::string& buffer, std::vector<spm_initial_symbol>& initial) const {
    if (vocab_.find(character) >= 0) {
      buffer.append(character);
      initial.push_back({static_cast<std::uint32_t>(character.size()), false});
      return;
    }
    for (const char c : character) {
      const std::int32_t b = vocab_.byte_token(static_cast<std::uint8_t>(c));
      const std::string& p = vocab_.piece(b >= 0 ? b : k_unknown);
      buffer.append(p);
      initial.push_back({static_cast<std::uint32_t>(p.size()), false});
    }
  }

  spm_vocab vocab_;
  spm_merge_rules rules_;  // llama2.c merges into any piece scoring above -1e10
};

template <class T>
T read_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = std::byteswap(v);
  return v;
}

}  // namespace

result<std::unique_ptr<tokenizer>> make_llama2c_tokenizer(std::span<const std::byte> bytes,
                                                          const std::filesystem::path& path) {
  const std::string name = path.string();
  if (bytes.size() < 4) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: {} bytes is too short for a llama2.c tokenizer (needs a 4-byte header)", name,
                            bytes.size()));
  }
  const auto max_length = read_le<std::int32_t>(bytes.data());
  if (max_length < 1 || max_length > k_max_token_length) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: llama2.c max_token_length {} is out of range (accepted 1..{})", name, max_length,
                            k_max_token_length));
  }
  spm_vocab vocab;
  std::size_t offset = 4;
  while (offset < bytes.size()) {
    const std::int64_t token = vocab.size();
    if (token == std::numeric_limits<std::int32_t>::max()) {
      return fail(status_code::invalid_argument, fmt::format("{}: more than 2^31-1 tokens", name));
    }
    if (bytes.size() - offset < 8) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: token {} at offset {} is truncated: {} bytes left, a record header needs 8", name,
                              token, offset, bytes.size() - offset));
    }
    const auto score = read_le<float>(bytes.data() + offset);
    const auto length = read_le<std::int32_t>(bytes.data() + offset + 4);
    if (std::isnan(score)) {
      return fail(status_code::invalid_argument, fmt::format("{}: token {} at offset {} has a nan score", name,
                                                             token, offset));
    }
    if (length < 1 || length > max_length) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: token {} at offset {} has length {} (accepted 1..max_token_length {})", name,
                              token, offset, length, max_length));
    }
    offset += 8;
    if (static_cast<std::size_t>(length) > bytes.size() - offset) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: token {} at offset {} is truncated: length {} but {} bytes left", name, token,
                              offset - 8, length, bytes.size() - offset));
    }
    const std::string_view piece(reinterpret_cast<const char*>(bytes.data() + offset),
                                 static_cast<std::size_t>(length));
    offset += static_cast<std::size_t>(length);

    spm_token_type type = spm_token_type::normal;
    const int byte = parse_byte_piece(piece);
    if (token == k_unknown) {
      type = spm_token_type::unknown;
    } else if (token == k_bos || token == k_eos) {
      type = spm_token_type::control;
    } else if (byte >= 0) {
      type = spm_token_type::byte;
      if (vocab.byte_token(static_cast<std::uint8_t>(byte)) < 0) {
        vocab.set_byte_token(static_cast<std::uint8_t>(byte), static_cast<std::int32_t>(token));
      }
    }
    vocab.add(piece, score, type, /*later_wins=*/false);
  }
  if (vocab.size() <= k_eos) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: llama2.c tokenizer has {} tokens, needs at least 3 (unknown, bos, eos)", name,
                            vocab.size()));
  }
  return std::make_unique<llama2c_tokenizer>(std::move(vocab));
}

}  // namespace kick
