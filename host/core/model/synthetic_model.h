// Writing a synthetic Llama model (random weights, real shapes) as a HuggingFace-style directory
// that load_model reads: config.json plus model.safetensors, or shards
// model-0000i-of-0000n.safetensors listed by model.safetensors.index.json.
//
// The weights are streamed: each tensor is generated in chunks of a few MiB straight into its
// file, so writing a 7B model needs a few tens of MiB of memory, not the model's size. Values:
// every matrix (embeddings, q/k/v/o, gate/up/down, lm_head) N(0, 0.02^2) as gaussian_fill.h
// describes, every RMSNorm weight 1.0 (stored F32, as kick's saved models do). A tensor's values
// depend only on the seed and its name, so a model with fewer layers holds the same first layers.
// The directory is written under a temporary name beside it and renamed into place at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kick/model.h"
#include "kick/status.h"
#include "kick/tensor.h"

namespace kick {

// The preset names synthetic_preset knows: 7b, 13b (Llama-2 shapes) and tiny (for tests).
const std::vector<std::string>& synthetic_preset_names();

// A preset's config; invalid_argument names an unknown preset and the known ones.
result<llama_config> synthetic_preset(std::string_view name);

struct synthetic_model_options {
  llama_config config;
  dtype weight_type = dtype::f16;            // of the matrices: f32, f16 or bf16
  std::uint64_t seed = 0;
  std::uint64_t max_shard_bytes = 5ull << 30;  // a new shard starts before a tensor would cross it
  bool force = false;                        // replace a non-empty out_dir
  unsigned threads = 0;                      // generator threads; 0 = all hardware threads
  // Called after every chunk with the bytes written so far and the total (may be empty).
  std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)> progress;
};

// The bytes of all tensor data the model will hold (headers and config.json not counted).
std::uint64_t synthetic_model_bytes(const synthetic_model_options& options);

// Writes the model into out_dir. failed_precondition when out_dir exists and is not an empty
// directory (unless options.force, which replaces it whole); invalid_argument names a bad config
// value or dtype; unavailable names the file that could not be written (the temporary directory
// is removed and out_dir is left as it was).
status write_synthetic_model(const std::filesystem::path& out_dir, const synthetic_model_options& options);

}  // namespace kick
