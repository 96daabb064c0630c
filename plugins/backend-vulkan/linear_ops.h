// Recording linear layers and embedding lookups of packed weights (device_linear.h).
#pragma once

#include <cstdint>

#include "device_linear.h"
#include "kick/status.h"
#include "vk_op_context.h"

namespace kick::vk {

// Up to this many tokens a linear layer runs the matrix-vector kernel, beyond it the tiled matmul.
inline constexpr std::uint32_t k_matvec_max_tokens = 8;

// Records y[t*y_stride + r] = sum_c W[r][c] * x[t*x_stride + c] for t < n_tokens, r < n_rows
// (f32 buffers): matvec for n_tokens <= 8, else the tiled matmul. Ends with ctx.stream.barrier().
status record_linear(op_context& ctx, const device_linear& w, const buffer_range& x, std::uint32_t x_stride, const buffer_range& y,
                     std::uint32_t y_stride, std::uint32_t n_tokens);

// out[t*out_stride + c] = W[tokens[t]][c]; tokens: uint32 buffer of n_tokens ids (< n_rows; an id
// out of range leaves its output row untouched). Ends with ctx.stream.barrier().
status record_embedding(op_context& ctx, const device_linear& table, const buffer_range& tokens, std::uint32_t n_tokens,
                        const buffer_range& out, std::uint32_t out_stride);

}  // namespace kick::vk
