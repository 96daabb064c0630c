// Tokenizers for Llama-family models.
//
// Three implementations behind one interface:
//  - sentencepiece: a SentencePiece .model file through libsentencepiece;
//  - gguf-spm: the Llama SentencePiece vocabulary embedded in a GGUF file (tokens, scores,
//    token types; byte fallback), byte-exact with llama.cpp;
//  - llama2c: the llama2.c tokenizer.bin format (scores + pieces).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kick/status.h"

namespace kick {

class tokenizer {
 public:
  virtual ~tokenizer() = default;

  virtual std::string kind() const = 0;  // "sentencepiece" | "gguf-spm" | "llama2c"
  virtual std::int64_t vocab_size() const = 0;
  virtual std::int32_t bos() const = 0;
  virtual std::int32_t eos() const = 0;

  // Token ids of `text`, with the SentencePiece dummy-space prefix, preceded by BOS when add_bos.
  virtual result<std::vector<std::int32_t>> encode(std::string_view text, bool add_bos) const = 0;

  // The text of a token sequence: control tokens (BOS/EOS) produce nothing, byte tokens
  // (<0xNN>) their byte, U+2581 a space, and the leading space of the first piece is dropped
  // (as SentencePiece's decoder drops the dummy prefix).
  virtual std::string decode(std::span<const std::int32_t> tokens) const = 0;

  // The raw piece of one token, as stored in the vocabulary (for inspection).
  virtual std::string piece(std::int32_t token) const = 0;
};

// Loads a tokenizer, detecting the format from the content: a GGUF file (magic "GGUF"; a
// vocab-only GGUF works), a SentencePiece model protobuf, or a llama2.c tokenizer.bin.
// Errors name the path and what was wrong.
result<std::unique_ptr<tokenizer>> load_tokenizer(const std::filesystem::path& path);

}  // namespace kick
