#include "attention.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace kick::cpu {

namespace {

// One query head against n_keys cached positions of its kv head: scores, softmax, weighted sum.
using head_fn = void (*)(const float* q, const float* keys, const float* values, std::int64_t n_keys, std::int64_t head_dim,
                         float scale, float* scores, float* out);

// Written once with `omp simd` loops and inlined into one wrapper per instruction set, so the
// compiler vectorises it for each (a call per key through a kernel pointer costs too much when
// head_dim is small).
[[gnu::always_inline]] inline void attend_head(const float* q, const float* keys, const float* values, std::int64_t n_keys,
                                               std::int64_t head_dim, float scale, float* scores, float* out) {
  float max_score = -INFINITY;
  for (std::int64_t j = 0; j < n_keys; ++j) {
    const float* k = keys + j * head_dim;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < head_dim; ++i) s += q[i] * k[i];
    scores[j] = s * scale;
    max_score = std::max(max_score, scores[j]);
  }
  float sum = 0.0f;
  for (std::int64_t j = 0; j < n_keys; ++j) {
    scores[j] = std::exp(scores[j] - max_score);
    sum += scores[j];
  }
  const float inv_sum = 1.0f / sum;
  std::fill(out, out + head_dim, 0.0f);
  for (std::int64_t j = 0; j < n_keys; ++j) {
    const float p = scores[j] * inv_sum;
    const float* v = values + j * head_dim;
#pragma omp simd
    for (std::int64_t i = 0; i < head_dim; ++i) out[i] += p * v[i];
  }
}

void attend_head_generic(const float* q, const float* keys, const float* values, std::int64_t n_keys, std::int64_t head_dim,
                         float scale, float* scores, float* out) {
  attend_head(q, keys, values, n_keys, head_dim, scale, scores, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx2,fma"))) void attend_head_avx512(const float* q, const float* keys, const float* values,
                                                                     std::int64_t n_keys, std::int64_t head_dim, float scale,
                                                                     float* scores, float* out) {
  attend_head(q, keys, values, n_keys, head_dim, scale, scores, out);
}

__attribute__((target("avx2,fma"))) void attend_head_avx2(const float* q, const float* keys, const float* values,
                                                          std::int64_t n_keys, std::int64_t head_dim, float scale,
                                                          float* scores, float* out) {
  attend_head(q, keys, values, n_keys, head_dim, scale, scores, out);
}
#endif

head_fn head_kernel(const kernel_set& kernels) {
  const std::string_view isa = kernels.isa;
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa == "avx512f") return attend_head_avx512;
  if (isa == "avx2") return attend_head_avx2;
#endif
  return attend_head_generic;
}

}  // namespace

void attention(const float* q, std::int64_t n_tokens, std::int64_t pos0, std::int64_t layer, const kv_cache& cache,
               const llama_config& config, float* out, compute_context& ctx) {
  const std::int64_t n_heads = config.n_heads;
  const std::int64_t head_dim = config.head_dim;
  const std::int64_t group = config.n_heads / config.n_kv_heads;
  const std::int64_t q_dim = n_heads * head_dim;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const head_fn attend = head_kernel(ctx.kernels());
  // Small problems run on the calling thread: waking the team would cost more than the work.
  const bool parallel = n_tokens * n_heads * (pos0 + n_tokens) * head_dim >= (std::int64_t{1} << 20);
  ctx.pool().for_each(n_tokens * n_heads, [&](std::int64_t item, int thread) {
    const std::int64_t t = item / n_heads, h = item % n_heads, kv_head = h / group;
    attend(q + t * q_dim + h * head_dim, cache.key(layer, kv_head, 0), cache.value(layer, kv_head, 0), pos0 + t + 1, head_dim, scale,
           ctx.scratch(thread), out + t * q_dim + h * head_dim);
  }, parallel);
}

}  // namespace kick::cpu
