// Matrix-vector kernels of group-quantized layers (kick::group_quant_layout, 2/3/4/8 bits), one
// per instruction set. They decode 32 columns of codes at a time in registers, scale them by the
// column group's (scale, zero) and multiply-add them into every token's accumulator; nothing wider
// than a vector register chunk is ever decoded.
#pragma once

#include <cstdint>

namespace kick::cpu {

// What the kernels read, with columns in "kernel order": the layout's own order, or for act-order
// layers (g_idx) the order that sorts columns by group (codes repacked once at load).
// W'[r][c] = scales[r * n_groups + g] * (code(r, c) - zeros[r * n_groups + g]), g = col_group[c],
// divided by input_scale[c] when input_scale is set.
struct gq_plan {
  int bits = 4;
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::int64_t words_per_row = 0;
  std::int64_t n_groups = 0;
  const std::uint32_t* packed = nullptr;     // [n_rows, words_per_row], little-endian codes
  const float* scales = nullptr;             // [n_rows, n_groups]
  const float* zeros = nullptr;              // [n_rows, n_groups]
  const std::int32_t* col_group = nullptr;   // [n_cols]
  const std::int32_t* step_group = nullptr;  // [ceil(n_cols / 32)]: the group of columns [32 s, 32 s + 32), or -1 when mixed
  const float* input_scale = nullptr;        // [n_cols] or nullptr (decode_rows divides by it exactly)
  const float* inv_input_scale = nullptr;    // [n_cols] or nullptr: 1 / input_scale (matvec multiplies by it)
};

constexpr std::int64_t k_gq_step_cols = 32;
constexpr std::int64_t k_gq_max_tokens = 7;

// For r in [r0, r1) and t < n_tokens (1..7): y[t * ldy + r] = (accumulate ? y[t * ldy + r] : 0) +
// sum over c in [c0, c1) of W'[r][c] * xs[t * ldx + c - c0]. c0 is a multiple of 32; c1 is n_cols
// or a multiple of 32.
using gq_matvec_fn = void (*)(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx,
                              std::int64_t n_tokens, std::int64_t c0, std::int64_t c1, float* y, std::int64_t ldy, bool accumulate);
// out[(r - r0) * n_cols + c] = W'[r][c], bit for bit what kick::densify_row computes.
using gq_decode_fn = void (*)(const gq_plan& p, std::int64_t r0, std::int64_t r1, float* out);

struct gq_kernels {
  gq_matvec_fn matvec = nullptr;
  gq_decode_fn decode = nullptr;
};

// The kernels for `bits` (2, 3, 4 or 8) on an instruction set; empty when the bits are not
// supported or (x86 sets) the code was not compiled for x86-64.
gq_kernels gq_kernels_generic(int bits);
gq_kernels gq_kernels_avx512(int bits);
gq_kernels gq_kernels_avx2(int bits);

}  // namespace kick::cpu
