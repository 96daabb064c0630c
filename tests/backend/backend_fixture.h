// Helpers for the backend suite: a recording host, opening the built cpu backend plugin,
// tiny model configs, and models derived from others.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bench/synthetic_weights.h"
#include "core/model/model_loader.h"
#include "kick/backend.h"
#include "kick/host.h"

namespace kick::test {

// Keeps every log message; progress is ignored.
class test_host final : public host {
 public:
  void log(log_level level, std::string_view message) const override;
  void progress(std::string_view label, std::int64_t done, std::int64_t total) const override;
  mutable std::vector<std::string> messages;
};

// The cpu backend from the built plugin with parameter threads (0 = all cores). `kernels`, when
// not empty, forces a kernel set through the kernels parameter. Returns the error of create_backend.
result<std::unique_ptr<backend>> open_cpu_backend(const host& services, std::int64_t threads = 0,
                                                  std::string_view kernels = {}, std::string_view compressed_values = "f32",
                                                  std::string_view activations = "f32");

// The vulkan backend from the built plugin (KICK_VULKAN_VALIDATION=1 in the environment turns the
// validation layer on). unavailable when the plugin is not built or the machine has no Vulkan
// device: callers skip visibly.
result<std::unique_ptr<backend>> open_vulkan_backend(const host& services, const std::string& device = "",
                                                     std::int64_t max_binding_mib = 0, const std::string& compressed_values = "f32");

// The kernel sets the plugin accepts on this machine (always includes "generic").
std::vector<std::string> usable_kernel_sets(const host& services);

// Loads `model` on `b`, failing the running test on error.
std::unique_ptr<model_runner> load_runner(backend& b, const model_view& model, std::int64_t n_ctx = 0);

// Evaluates tokens at n_past with logits_mode::all; fails the running test on error.
std::vector<float> eval_all(model_runner& runner, std::int64_t n_vocab, std::span<const std::int32_t> tokens,
                            std::int64_t n_past);

// max |got - want| / max(1, max |want|).
double relative_error(std::span<const float> got, std::span<const double> want);
double relative_error(std::span<const float> got, std::span<const float> want);

// `n` token ids drawn uniformly from [0, n_vocab), deterministic for a seed.
std::vector<std::int32_t> random_tokens(std::int64_t n_vocab, std::int64_t n, std::uint64_t seed);

// A named tiny config covering one combination of the architecture options.
struct named_config {
  std::string name;
  llama_config config;
};
std::vector<named_config> tiny_configs();

// A model_view with storage of its own for the tensors that differ from its base model.
struct derived_model {
  model_view view;
  std::vector<std::unique_ptr<std::byte[]>> buffers;
};

// The same network with Q/K rows (and biases) permuted per head from the HF rotate_half order
// to the GGUF interleaved order: row r of a head moves to 2 * (r mod hd/2) + r / (hd/2).
// `base` must use rope_layout::rotate_half; the result uses rope_layout::interleaved.
derived_model permute_to_interleaved(const model_view& base);

// Every linear layer of `model` replaced by a random compressed weight, rotating through the
// compressed formats layer by layer and slot by slot.
struct compressed_model {
  loaded_model base;
  std::vector<synthetic_weight> weights;
};

compressed_model compress_all(const llama_config& c, std::uint64_t seed);

}  // namespace kick::test
