// Writers that turn a model_view into files of each format kick loads, for round-trip tests
// (reusable by other suites: backend logits across formats and RoPE layouts).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "kick/model.h"
#include "model-files/gguf_writer.h"

namespace kick::test {

// A small llama config whose widths are multiples of 32 (valid for q8_0): vocab 64, embd 64,
// 2 layers, 4 heads / 2 kv heads of 16, ffn 96, ctx 128.
llama_config tiny_config();

// All elements of a tensor as f32 (row-major).
std::vector<float> to_f32(const tensor_view& t);

// The bytes of a tensor in `target` type (converted through f32 unless already `target`), row by
// row; row i of the result is row src_rows[i] of `t` when src_rows is not empty.
std::string encode_rows(const tensor_view& t, dtype target, const std::vector<std::int64_t>& src_rows = {});

// Row maps between HF (rotate_half) and GGUF/Meta (interleaved) Q/K layouts, as llama.cpp's
// converter permutes: within each head of head_dim rows, HF row r is interleaved row
// 2 * (r mod head_dim/2) + r div head_dim/2.
std::int64_t hf_row_to_interleaved(std::int64_t r, std::int64_t head_dim);
// For each interleaved row, the HF row it comes from (and the inverse).
std::vector<std::int64_t> interleaved_from_hf(std::int64_t n_heads, std::int64_t head_dim);
std::vector<std::int64_t> hf_from_interleaved(std::int64_t n_heads, std::int64_t head_dim);

struct gguf_model_options {
  dtype weight_type = dtype::f32;  // linear weights and embeddings; norms stay f32
  std::uint32_t version = 3;
  bool with_vocab = false;         // add a tokenizer.ggml.tokens list of n_vocab entries
  bool write_output = true;        // false: omit output.weight (tied)
};
// Fills a gguf_writer with a llama-architecture model. Q/K (and their biases) are permuted into
// the interleaved layout when the view is rotate_half.
gguf_writer gguf_model_writer(const model_view& view, const gguf_model_options& options = {});
void write_gguf_model(const model_view& view, const std::filesystem::path& path, const gguf_model_options& options = {});

struct safetensors_entry {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", ...
  std::vector<std::int64_t> shape;
  std::string bytes;
};
// A complete .safetensors file (header padded to 8 bytes).
std::string serialize_safetensors(const std::vector<safetensors_entry>& entries);

struct hf_model_options {
  dtype weight_type = dtype::f32;  // f32, f16 or bf16 for every tensor (norms included)
  int n_shards = 1;                // > 1: model-0000k-of-0000n.safetensors + index
  std::string model_type = "llama";
};
// Writes config.json and safetensors; Q/K are un-permuted to rotate_half when the view is interleaved.
void write_hf_model(const model_view& view, const std::filesystem::path& dir, const hf_model_options& options = {});
// The config.json text write_hf_model writes.
std::string hf_config_json(const llama_config& c, const std::string& model_type);

// A llama2.c legacy checkpoint (f32, interleaved Q/K; permuted when the view is rotate_half).
// The classifier is written (negative vocab_size) unless the view is tied.
void write_llama2c_model(const model_view& view, const std::filesystem::path& path);

}  // namespace kick::test
