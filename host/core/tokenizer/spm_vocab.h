// A SentencePiece-style vocabulary shared by the gguf-spm and llama2c tokenizers: pieces, scores
// and token types, a hash map from piece to id, the byte-fallback table, and the decoder.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kick {

// The token types of SentencePiece (and of GGUF's tokenizer.ggml.token_type).
enum class spm_token_type : std::uint8_t {
  normal = 1,
  unknown = 2,
  control = 3,
  user_defined = 4,
  unused = 5,
  byte = 6,
};

// The byte of a byte-fallback piece "<0xNN>" (hex digits of either case), or -1.
int parse_byte_piece(std::string_view piece);

class spm_vocab {
 public:
  // Appends a token; its id is the number of tokens added before it. When two tokens share a
  // piece, find() returns the later one when `later_wins`, else the earlier one.
  void add(std::string_view piece, float score, spm_token_type type, bool later_wins);

  // Records that `token` encodes `byte` (byte fallback).
  void set_byte_token(std::uint8_t byte, std::int32_t token) { byte_tokens_[byte] = token; }

  std::int64_t size() const { return static_cast<std::int64_t>(pieces_.size()); }
  bool contains(std::int32_t token) const { return token >= 0 && token < size(); }

  // The id whose piece is `piece`, or -1.
  std::int32_t find(std::string_view piece) const;

  const std::string& piece(std::int32_t token) const { return pieces_[static_cast<std::size_t>(token)]; }
  float score(std::int32_t token) const { return scores_[static_cast<std::size_t>(token)]; }
  spm_token_type type(std::int32_t token) const { return types_[static_cast<std::size_t>(token)]; }

  // The token that encodes `byte`, or -1 when the vocabulary has none.
  std::int32_t byte_token(std::uint8_t byte) const { return byte_tokens_[byte]; }

  // The length in bytes of the longest user-defined piece (0 when there is none).
  std::size_t max_user_defined_size() const { return max_user_defined_size_; }

  // SentencePiece's decoder: out-of-range ids and control tokens produce nothing, unknown
  // tokens " \u2047 " (SentencePiece's unk surface), byte tokens their raw byte, other pieces
  // their text with `space_symbol` replaced by ' ', except that the first token other than
  // control tokens loses one leading `space_symbol` (the dummy prefix; as libsentencepiece 0.1.97
  // does, so " Hello" = "\u2581" "\u2581Hello" decodes back to " Hello"). Unlike libsentencepiece, byte
  // runs that are not valid UTF-8 are kept as raw bytes (no U+FFFD substitution).
  std::string decode(std::span<const std::int32_t> tokens, std::string_view space_symbol) const;

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<spm_token_type> types_;
  std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>> ids_;
  std::array<std::int32_t, 256> byte_tokens_ = filled(-1);
  std::size_t max_user_defined_size_ = 0;

  static constexpr std::array<std::int32_t, 256> filled(std::int32_t v) {
    std::array<std::int32_t, 256> a{};
    a.fill(v);
    return a;
  }
};

}  // namespace kick
