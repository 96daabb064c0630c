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
  // 4-bit lane blocks (see gq_block_matvec_fn), or nullptr when the layer cannot use them:
  const std::int32_t* lane_group = nullptr;  // [n_cols / 128 * 16]: the group of columns [8 l, 8 l + 8) in kernel order
};

// 4-bit "lane blocks": 128 columns are 16 code words, word l holding columns 8 l .. 8 l + 7 (nibble k
// = column 8 l + k). A block's 16 words form one vector; nibble k of every lane is selected by an AND
// (k < 7: the code times 16^k, exact as a float) and multiply-added with x transposed and scaled by
// 16^-k, so no shift or permute decodes a code. Each lane's sum over its 8 columns is scaled once per
// block by its group's scale; the zeros' term subtracts scale * zero * (the lane's sum of x).
constexpr std::int64_t k_gq_block_cols = 128;
constexpr std::int64_t k_gq_block_lanes = 16;
// The per-token input of blocks [b0, b1): xt[(b - b0) * 128 + 16 k + l] = x(column 128 b + 8 l + k) * 16^-k
// (16^0 for k = 7), lane_sums[(b - b0) * 16 + l] = sum over k of x(128 b + 8 l + k); x(c) = x[order[c]]
// for act-order layers (order != nullptr), x[c] otherwise.
using gq_block_prepare_fn = void (*)(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt,
                                     float* lane_sums);
// y[t * ldy + r] (+)= sum over blocks [b0, b1) of row r's weights times token t's prepared input
// (xt + t * ld_xt, lane_sums + t * ld_sums), for r in [r0, r1) and t < n_tokens (1..7).
using gq_block_matvec_fn = void (*)(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xt, std::int64_t ld_xt,
                                    const float* lane_sums, std::int64_t ld_sums, std::int64_t n_tokens, std::int64_t b0,
                                    std::int64_t b1, float* y, std::int64_t ldy, bool accumulate);

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
  gq_block_prepare_fn block_prepare = nullptr;  // 4 bits on AVX-512 only
  gq_block_matvec_fn block_matvec = nullptr;
};

// The lane-block kernels of 4-bit layers on AVX-512 ({nullptr, nullptr} elsewhere).
void gq_block_kernels_avx512(gq_kernels& k);

// The kernels for `bits` (2, 3, 4 or 8) on an instruction set; empty when the bits are not
// supported or (x86 sets) the code was not compiled for x86-64.
gq_kernels gq_kernels_generic(int bits);
gq_kernels gq_kernels_avx512(int bits);
gq_kernels gq_kernels_avx2(int bits);

}  // namespace kick::cpu
