// Matrix-vector kernels of NF4 layers (kick::nf4_layout), one per instruction set: 32 columns of
// 4-bit codes at a time are looked up in the 16-entry table in registers, scaled by their block's
// absmax and multiply-added into every token's accumulator.
#pragma once

#include <cstdint>

namespace kick::cpu {

// W[r][c] = k_nf4_table[code(r * n_cols + c)] * absmax[(r * n_cols + c) / block_size]; the code of
// flat index i is the high nibble of codes[i / 2] for even i, the low nibble for odd i.
struct nf4_plan {
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::int64_t block_size = 64;
  const std::uint8_t* codes = nullptr;  // [ceil(n_rows * n_cols / 2)]
  const float* absmax = nullptr;        // [n_blocks], decoded
};

constexpr std::int64_t k_nf4_max_tokens = 7;

// y[t * ldy + r] = sum_c W[r][c] * x[t * n_cols + c] for r in [r0, r1), t < n_tokens (1..7).
using nf4_matvec_fn = void (*)(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                               std::int64_t ldy);
// out[(r - r0) * n_cols + c] = W[r][c], bit for bit what kick::densify_row computes.
using nf4_decode_fn = void (*)(const nf4_plan& p, std::int64_t r0, std::int64_t r1, float* out);

struct nf4_kernels {
  nf4_matvec_fn matvec = nullptr;
  nf4_decode_fn decode = nullptr;
};

// The x86 sets (the portable one lives in linear_nf4.cpp); empty when the CPU lacks the instructions or the code was not compiled for x86-64.
nf4_kernels nf4_kernels_avx512();
nf4_kernels nf4_kernels_avx2();

}  // namespace kick::cpu
