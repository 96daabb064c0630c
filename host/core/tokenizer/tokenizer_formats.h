// The three tokenizer implementations behind kick::tokenizer, built from already-read content;
// load_tokenizer() picks one by the file's content. Errors name `path`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "core/model/gguf_file.h"
#include "core/tokenizer/tokenizer.h"

namespace kick {

// gguf-spm: the tokenizer.ggml.* metadata of a GGUF file (tokenizer.ggml.model "llama").
result<std::unique_ptr<tokenizer>> make_gguf_spm_tokenizer(const gguf_file& file);

// sentencepiece: a serialized SentencePiece ModelProto, through libsentencepiece.
result<std::unique_ptr<tokenizer>> make_sentencepiece_tokenizer(std::string_view serialized,
                                                                const std::filesystem::path& path);

// llama2c: llama2.c's tokenizer.bin (int32 max_token_length, then until the end of the file one
// record per token: float32 score, int32 byte length, the bytes). Every record is checked
// against the bytes left, lengths against max_token_length and scores for NaN.
result<std::unique_ptr<tokenizer>> make_llama2c_tokenizer(std::span<const std::byte> bytes,
                                                          const std::filesystem::path& path);

}  // namespace kick
