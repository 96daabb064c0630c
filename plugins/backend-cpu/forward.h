// The CPU backend's model_runner: a Llama forward pass in f32 arithmetic with a KV cache.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kick/backend.h"
#include "kick/host.h"
#include "kick/model.h"
#include "kv_cache.h"
#include "matmul.h"
#include "weights.h"

namespace kick::cpu {

class cpu_runner final : public model_runner {
 public:
  // Checks the model (check_model_view), allocates the cache for options.n_ctx positions (the
  // model's n_ctx_train when 0) and precomputes the RoPE tables.
  static result<std::unique_ptr<cpu_runner>> create(const model_view& model, const runner_options& options,
                                                    const kernel_set& kernels, int n_threads, linear_options linear,
                                                    const host& services);

  std::int64_t context_length() const override { return cache_.n_ctx(); }
  std::int64_t vocab_size() const override { return model_.config.n_vocab; }
  status eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode,
              std::span<float> logits_out) override;

  cpu_runner(model_view model, model_vectors vectors, kv_cache cache, const kernel_set& kernels, int n_threads);

 private:
  // Tokens evaluated per forward pass; longer inputs run in chunks of this size.
  static constexpr std::int64_t k_max_chunk_tokens = 256;

  void ensure_scratch(std::int64_t n_tokens);
  // Runs tokens at positions [pos0, pos0 + n_tokens) and writes the logits of the positions
  // from `first_logit` on (relative to the chunk) into logits, n_vocab floats per position.
  void forward_chunk(const std::int32_t* tokens, std::int64_t n_tokens, std::int64_t pos0, std::int64_t first_logit,
                     float* logits);
  void layer_forward(std::int64_t layer, std::int64_t n_tokens, std::int64_t pos0);
  void rms_norm_rows(const float* x, const std::vector<float>& weight, std::int64_t n_tokens, float* out) const;
  // x += residual, then out = rms_norm(x) * weight, in one pass over x per token (the residual
  // add is fused into the norm's sum of squares).
  void add_rms_norm_rows(float* x, const float* residual, const std::vector<float>& weight, std::int64_t n_tokens, float* out) const;

  model_view model_;
  model_vectors vectors_;
  kv_cache cache_;
  rope_table rope_;
  compute_context ctx_;
  std::int64_t n_cached_ = 0;  // positions [0, n_cached_) of the cache are valid

  // Activations for up to scratch_tokens_ tokens, row-major [token][feature]. Each layer leaves its
  // MLP output in tmp_, added to x_ by the next layer's (or the output's) fused add + norm.
  std::int64_t scratch_tokens_ = 0;
  std::vector<float> x_, xb_, q_, k_, v_, att_, tmp_, gate_, up_;
};

}  // namespace kick::cpu
