// Loading Llama-family models from disk into a kick::model_view.
//
// Formats: HuggingFace directories (config.json + *.safetensors), GGUF v2/v3, and llama2.c
// checkpoints. Files are memory-mapped and tensors used in place where their layout allows;
// every offset, size, shape, dtype and count is checked against the file before use, and each
// error names the file (and tensor or key).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/util/mapped_file.h"
#include "kick/model.h"
#include "kick/status.h"

namespace kick {

enum class model_format { auto_detect, hf, gguf, llama2c };

// Parses "auto", "hf", "gguf", "llama2c"; invalid_argument names the value otherwise.
result<model_format> parse_model_format(std::string_view name);
const char* to_string(model_format format);

// A model and everything that keeps its model_view valid. Movable, not copyable; the view's
// pointers stay valid across moves (they point into mappings and heap buffers).
struct loaded_model {
  std::filesystem::path path;
  model_format format = model_format::auto_detect;
  model_view view;
  std::int64_t n_params = 0;
  // A tokenizer that came with the model: HF dir/tokenizer.model, the GGUF file itself (its
  // embedded vocabulary), or a llama2.c tokenizer.bin / tok<n_vocab>.bin beside the checkpoint.
  // Empty when none was found.
  std::filesystem::path tokenizer_path;
  std::vector<std::shared_ptr<const mapped_file>> files;
  std::vector<std::unique_ptr<std::byte[]>> owned_buffers;
  // Compressed linear layers that view.layers[*].compressed point at.
  std::vector<std::unique_ptr<compressed_weight>> owned_compressed;
  // The method metadata of a compressed model (JSON text: method, params, calibration, kick
  // version, per-layer reports); empty for an uncompressed model.
  std::string compression_json;

  loaded_model() = default;
  loaded_model(loaded_model&&) = default;
  loaded_model& operator=(loaded_model&&) = default;
  loaded_model(const loaded_model&) = delete;
  loaded_model& operator=(const loaded_model&) = delete;
};

// Detects the format from the path (a directory is HF; otherwise the file's magic: "GGUF" is
// GGUF, else a llama2.c header is tried) unless `format` names one.
result<loaded_model> load_model(const std::filesystem::path& path, model_format format = model_format::auto_detect);

// Checks a view for internal consistency: every tensor present with the shape the config implies,
// 2-D linear weights with whole blocks per row, norms and biases f32 (loaders convert them).
// Used by every loader and by tests.
status validate_model_view(const model_view& view);

// A multi-line human description: architecture, hyperparameters, tensor shapes and dtypes,
// parameter count and tokenizer (for `kickhost inspect`).
std::string describe_model(const loaded_model& model);

// A randomly initialised model with the given shapes, weights stored as `weight_type`
// (norms stay f32). Deterministic for a seed. Used by tests and by `kickhost bench`.
// n_kv_heads = 0 means n_heads and head_dim = 0 means n_embd / n_heads. Linear weights are
// uniform with std 1/sqrt(n_in), norms 1 +- 0.1, biases +- 0.1, embeddings +- 1. Throws
// std::invalid_argument for a dimension <= 0 or, with q8_0, rows that are not whole 32-element
// blocks; validate_model_view on the result checks the rest (e.g. n_heads % n_kv_heads).
loaded_model make_random_model(const llama_config& config, std::uint64_t seed, dtype weight_type);

}  // namespace kick
