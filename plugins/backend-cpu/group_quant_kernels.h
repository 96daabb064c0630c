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
  // Lane blocks (see gq_block_matvec_fn), or nullptr when the layer cannot use them:
  const std::int32_t* lane_group = nullptr;  // [n_cols / block_cols * 16]: the group of lane l's columns in kernel order
  // Every block's lanes in one group (groups of whole blocks): the kernel scales once per group and
  // adds each group's zeros' term where the group ends, from the group sums (of groups [0, block_groups)).
  bool uniform_blocks = false;
  std::int64_t block_groups = 0;
};

// "Lane blocks" of 2-, 4- and 8-bit codes: a block is 16 code words (64 bytes), word l holding the
// K = 32 / bits columns K l .. K l + K - 1 (code k = column K l + k, bits [bits k, bits k + bits)).
// A block is one vector; code k of every lane is selected by an AND (in place while it lies in the
// 23 mantissa bits, else after one shift right), which read as a float is the code times a power of
// two (a subnormal), and is multiply-added with x transposed and scaled by the inverse power, so no
// conversion, shift or permute per code decodes it. Each lane's sum is scaled once per block by its
// group's scale; the zeros' term subtracts scale * zero * (the lane's sum of x).
constexpr std::int64_t k_gq_block_lanes = 16;
constexpr std::int64_t gq_block_cols(int bits) { return k_gq_block_lanes * (32 / bits); }
// The per-token input of blocks [b0, b1) (C = gq_block_cols(bits)): xt[(b - b0) * C + 16 k + l] =
// x(column C b + K l + k) times code k's power of two, lane_sums[(b - b0) * 16 + l] = sum over k of
// x(C b + K l + k); x(c) = x[order[c]] for act-order layers (order != nullptr), x[c] otherwise.
using gq_block_prepare_fn = void (*)(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt,
                                     float* lane_sums);
// Token t's prepared input to blocks [b0, b1): xt + t * ld_xt, lane_sums + t * ld_sums (as above),
// and for uniform-block layers group_sums + t * ld_group_sums: [block_groups] sums of x over each
// group's columns in whole blocks (x(c) in kernel order).
struct gq_block_input {
  const float* xt = nullptr;
  std::int64_t ld_xt = 0;
  const float* lane_sums = nullptr;
  std::int64_t ld_sums = 0;
  const float* group_sums = nullptr;
  std::int64_t ld_group_sums = 0;
};
// y[t * ldy + r] (+)= sum over blocks [b0, b1) of row r's weights times token t's prepared input,
// for r in [r0, r1) and t < n_tokens (1..7); uniform-block layers add each group's zeros' term in
// the call whose blocks the group begins in.
using gq_block_matvec_fn = void (*)(const gq_plan& p, std::int64_t r0, std::int64_t r1, const gq_block_input& in, std::int64_t n_tokens,
                                    std::int64_t b0, std::int64_t b1, float* y, std::int64_t ldy, bool accumulate);

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
  gq_block_prepare_fn block_prepare = nullptr;  // 2, 4 and 8 bits on AVX-512 and AVX2
  gq_block_matvec_fn block_matvec = nullptr;
};

// The lane-block kernels of 2-, 4- and 8-bit layers on AVX-512 and on AVX2 ({nullptr, nullptr}
// for other widths and off x86-64).
void gq_block_kernels_avx512(gq_kernels& k, int bits);
void gq_block_kernels_avx2(gq_kernels& k, int bits);

// The kernels for `bits` (2, 3, 4 or 8) on an instruction set; empty when the bits are not
// supported or (x86 sets) the code was not compiled for x86-64.
gq_kernels gq_kernels_generic(int bits);
gq_kernels gq_kernels_avx512(int bits);
gq_kernels gq_kernels_avx2(int bits);

}  // namespace kick::cpu
