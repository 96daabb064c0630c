#include "attention.h"

#include <algorithm>
#include <cmath>
#include <omp.h>

namespace kick::cpu {

void attention(const float* q, std::int64_t n_tokens, std::int64_t pos0, std::int64_t layer, const kv_cache& cache,
               const llama_config& config, float* out, compute_context& ctx) {
  const std::int64_t n_heads = config.n_heads;
  const std::int64_t head_dim = config.head_dim;
  const std::int64_t group = config.n_heads / config.n_kv_heads;
  const std::int64_t q_dim = n_heads * head_dim;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const dot_fn dot = ctx.kernels().dot[static_cast<int>(dtype::f32)];
  const axpy_fn axpy = ctx.kernels().axpy;
#pragma omp parallel for collapse(2) num_threads(ctx.n_threads()) schedule(dynamic)
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (std::int64_t h = 0; h < n_heads; ++h) {
      const std::int64_t kv_head = h / group;
      const std::int64_t n_keys = pos0 + t + 1;
      const float* qh = q + t * q_dim + h * head_dim;
      const float* keys = cache.key(layer, kv_head, 0);
      const float* values = cache.value(layer, kv_head, 0);
      float* scores = ctx.scratch(omp_get_thread_num());
      float max_score = -INFINITY;
      for (std::int64_t j = 0; j < n_keys; ++j) {
        scores[j] = dot(keys + j * head_dim, qh, head_dim) * scale;
        max_score = std::max(max_score, scores[j]);
      }
      float sum = 0.0f;
      for (std::int64_t j = 0; j < n_keys; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      const float inv_sum = 1.0f / sum;
      float* oh = out + t * q_dim + h * head_dim;
      std::fill(oh, oh + head_dim, 0.0f);
      for (std::int64_t j = 0; j < n_keys; ++j) axpy(scores[j] * inv_sum, values + j * head_dim, oh, head_dim);
    }
  }
}

}  // namespace kick::cpu
