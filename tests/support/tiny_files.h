// Writes a tiny random llama2.c checkpoint and a byte-level llama2.c tokenizer, so that
// end-to-end tests run without ../shared/fixtures.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace kick::test {

struct tiny_model_shape {
  std::int32_t dim = 32;
  std::int32_t hidden_dim = 64;
  std::int32_t n_layers = 2;
  std::int32_t n_heads = 4;
  std::int32_t n_kv_heads = 2;
  std::int32_t vocab_size = 272;  // 3 specials + 256 bytes + a few pieces (see write_tiny_tokenizer)
  std::int32_t seq_len = 128;
};

// model.bin in llama2.c's legacy format with a shared classifier; weights ~ U(-0.2, 0.2).
void write_tiny_llama2c(const std::filesystem::path& file, const tiny_model_shape& shape, std::uint64_t seed);

// tokenizer.bin: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then " " and a few
// letters, padded to vocab_size with unique unused pieces.
void write_tiny_tokenizer(const std::filesystem::path& file, std::int32_t vocab_size);

// Writes model.bin (write_tiny_llama2c) and tokenizer.bin (write_tiny_tokenizer) into `dir` and
// returns the [model] and [backend] tables of a run-manifest that uses them on the cpu backend with
// one thread; callers put their top-level keys before it and their [[task]] tables after it.
std::string write_tiny_run_files(const std::filesystem::path& dir, const tiny_model_shape& shape, std::uint64_t seed);

}  // namespace kick::test
