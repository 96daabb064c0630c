// The non-linear ops of the Llama forward pass, recorded into an op_context's command stream.
// Each function checks its arguments (errors name the op and the tensor), records its
// dispatches and ends with ctx.stream.barrier(), so the next op may read what it wrote. The
// results match the CPU backend (plugins/backend-cpu/forward.cpp, attention.cpp) to float
// rounding. A range may be larger than an op needs; only the part it uses is bound.
#pragma once

#include <cstdint>

#include "kick/model.h"
#include "kick/status.h"
#include "vk_memory.h"
#include "vk_op_context.h"

namespace kick::vk {

// out[t][i] = x[t][i] * (1 / sqrt(mean_i x[t][i]^2 + eps)) * weight[i]; n_tokens rows of width n.
status record_rms_norm(op_context& ctx, const buffer_range& x, const buffer_range& weight, const buffer_range& out,
                       std::uint32_t n_tokens, std::uint32_t n, float eps);

// RoPE in place on n_tokens rows of row_stride floats whose first n_heads * head_dim floats are
// the heads; token t is at position pos0 + t. cos_table and sin_table are [n_ctx][head_dim / 2]
// (make_rope_tables) and must reach position pos0 + n_tokens - 1.
status record_rope(op_context& ctx, const buffer_range& rows, std::uint32_t n_tokens, std::uint32_t row_stride,
                   std::uint32_t n_heads, std::uint32_t head_dim, std::uint32_t pos0, const buffer_range& cos_table,
                   const buffer_range& sin_table, rope_layout layout);

// Copies k and v rows [n_tokens][n_kv_heads * head_dim] into one layer's caches, each laid out
// [kv_head][n_ctx][head_dim], at positions pos0 .. pos0 + n_tokens - 1 (< n_ctx).
status record_kv_store(op_context& ctx, const buffer_range& k, const buffer_range& v, const buffer_range& cache_k,
                       const buffer_range& cache_v, std::uint32_t n_tokens, std::uint32_t n_kv_heads, std::uint32_t head_dim,
                       std::uint32_t n_ctx, std::uint32_t pos0);

// Causal attention with grouped kv heads: query head h of token t (position pos0 + t) attends to
// positions 0 .. pos0 + t of kv head h / (n_heads / n_kv_heads), scale 1 / sqrt(head_dim).
// q and out are [n_tokens][n_heads * head_dim]; caches as record_kv_store writes them. Any
// n_ctx; head_dim at most k_attention_max_head_dim.
inline constexpr std::uint32_t k_attention_max_head_dim = 256;
status record_attention(op_context& ctx, const buffer_range& q, const buffer_range& cache_k, const buffer_range& cache_v,
                        const buffer_range& out, std::uint32_t n_tokens, std::uint32_t pos0, std::uint32_t n_heads,
                        std::uint32_t n_kv_heads, std::uint32_t head_dim, std::uint32_t n_ctx);

// gate[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n_elements.
status record_swiglu(op_context& ctx, const buffer_range& gate, const buffer_range& up, std::uint32_t n_elements);

// y[i] += x[i] for i < n_elements (residual adds).
status record_add(op_context& ctx, const buffer_range& y, const buffer_range& x, std::uint32_t n_elements);

// y[t][i] += bias[i] for n_tokens rows of `width` floats (Qwen2 q/k/v biases).
status record_add_bias(op_context& ctx, const buffer_range& y, const buffer_range& bias, std::uint32_t n_tokens,
                       std::uint32_t width);

// Per token t of logits [n_tokens][n_vocab]: out_logprob[t] = logits[t][targets[t]] -
// logsumexp_j logits[t][j] (float; NaN when targets[t] >= n_vocab) and out_argmax[t] = the
// lowest index of the largest logit. targets and out_argmax hold uint32 values.
status record_logprob(op_context& ctx, const buffer_range& logits, const buffer_range& targets,
                      const buffer_range& out_logprob, const buffer_range& out_argmax, std::uint32_t n_tokens,
                      std::uint32_t n_vocab);

// dst[i] = src[i] for i < n_floats: a plain copy kernel (reads 4 * n_floats bytes, writes as
// many) for measuring the device's copy bandwidth.
status record_copy(op_context& ctx, const buffer_range& src, const buffer_range& dst, std::uint64_t n_floats);

}  // namespace kick::vk
