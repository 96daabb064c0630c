// Causal grouped-query attention over the KV cache.
#pragma once

#include <cstdint>

#include "kick/model.h"
#include "kv_cache.h"
#include "matmul.h"

namespace kick::cpu {

// For each token t < n_tokens at position pos0 + t and each head h, writes
// softmax(q_h . K[0..pos0+t] / sqrt(head_dim)) V[0..pos0+t] into out, using the keys and values
// of kv head h / (n_heads / n_kv_heads) of `layer`. The cache must already hold positions
// [0, pos0 + n_tokens). q and out are [n_tokens][n_heads * head_dim]. Threads split the
// (token, head) pairs; each uses pos0 + n_tokens floats of its scratch for the scores.
void attention(const float* q, std::int64_t n_tokens, std::int64_t pos0, std::int64_t layer, const kv_cache& cache,
               const llama_config& config, float* out, compute_context& ctx);

}  // namespace kick::cpu
