// What the lane-block kernels of every instruction set share (see gq_block_matvec_fn): where each
// code sits in its lane's word, the powers of two that turn masked codes into products, the prefetch
// distances, and the portable preparation of x.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "group_quant_kernels.h"
#include "simd_x86.h"

namespace kick::cpu::gq_blocks {

constexpr float power_of_two(int e) { return std::bit_cast<float>(static_cast<std::uint32_t>(e + 127) << 23); }

// Where code k of a lane's word is read: codes wholly below bit 23 in place, the others after a
// shift right by high_shift (12 for 2 and 4 bits, 16 for 8 bits), at bits [position, position + B).
// Masked, the word read as a float is the subnormal code * 2^(position - 149); x carries
// 2^(149 - position - k_block_exponent) and the block's scale 2^k_block_exponent, so products are
// code * x * 2^-64: normal for |x| > 2^-60, and exact like a conversion.
constexpr int k_block_exponent = 64;
template <int B>
struct code_positions {
  static constexpr int K = 32 / B;
  static constexpr int high_shift = B == 8 ? 16 : 12;
  static constexpr bool in_place(int k) { return B * k + B <= 23; }
  static constexpr int position(int k) { return in_place(k) ? B * k : B * k - high_shift; }
  static constexpr std::array<float, K> input_scale = [] {
    std::array<float, K> a{};
    for (int k = 0; k < K; ++k) a[static_cast<std::size_t>(k)] = power_of_two(149 - position(k) - k_block_exponent);
    return a;
  }();
};

// Block b's columns of x in kernel order: x's own (order == nullptr), or gathered through the
// act-order permutation into `buffer` (cols floats).
inline const float* block_columns(const float* x, const std::int32_t* order, std::int64_t b, std::int64_t cols, float* buffer) {
  if (order == nullptr) return x + b * cols;
  const std::int32_t* o = order + b * cols;
  for (std::int64_t i = 0; i < cols; ++i) buffer[i] = x[o[i]];
  return buffer;
}

// The prepared input (gq_block_prepare_fn) in portable code: xt[(b - b0) * C + 16 k + l] = x(C b + K l + k)
// times code k's power of two, lane_sums[(b - b0) * 16 + l] = the lane's sum of x.
template <int B>
void block_prepare_portable(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt, float* lane_sums) {
  using pos = code_positions<B>;
  constexpr std::int64_t cols = gq_block_cols(B);
  for (std::int64_t b = b0; b < b1; ++b) {
    float* out = xt + (b - b0) * cols;
    float* sums = lane_sums + (b - b0) * k_gq_block_lanes;
    for (std::int64_t l = 0; l < k_gq_block_lanes; ++l) {
      float sum = 0.0f;
      for (int k = 0; k < pos::K; ++k) {
        const std::int64_t c = b * cols + pos::K * l + k;
        const float v = x[order != nullptr ? order[c] : c];
        sum += v;
        out[16 * k + l] = v * pos::input_scale[static_cast<std::size_t>(k)];
      }
      sums[l] = sum;
    }
  }
}

// The zeros' term of uniform-block layers, added group by group where each group ends: the loads of
// a row's zeros then spread along the row (gathered at its end they stalled it, one memory latency
// per row). A group that began in an earlier run of blocks was counted in that run.
template <int NT>
struct group_zeros {
  float sum[NT] = {};
  bool counted = false;
  group_zeros(const gq_plan& p, std::int64_t b0)
      : counted(b0 > 0 && p.lane_group[(b0 - 1) * k_gq_block_lanes] == p.lane_group[b0 * k_gq_block_lanes]) {}
  // Group g (scale s, zero z) ends.
  void end_group(std::int32_t g, float s, float z, const gq_block_input& in) {
    if (!counted) {
      for (int t = 0; t < NT; ++t) sum[t] += s * z * in.group_sums[t * in.ld_group_sums + g];
    }
    counted = false;
  }
};

#if KICK_SIMD_X86

// The scales and zeros of groups [g0, g1) of row r are fetched into the cache (an r past the layer
// is harmless: a prefetch does not fault).
inline void prefetch_scales(const gq_plan& p, std::int64_t r, std::int64_t g0, std::int64_t g1) {
  constexpr std::int64_t line_floats = 16;
  for (const float* a : {p.scales, p.zeros}) {
    const auto first = reinterpret_cast<std::uintptr_t>(a) + static_cast<std::uintptr_t>((r * p.n_groups + g0) * 4);
    for (std::int64_t i = 0; i < (g1 - g0 + line_floats) / line_floats; ++i)
      _mm_prefetch(reinterpret_cast<const char*>(first + static_cast<std::uintptr_t>(64 * i)), _MM_HINT_T0);
  }
}

// Rows stream from memory: each row prefetches the same blocks of the row far enough ahead
// (>= simd::k_prefetch_bytes of codes) that they arrive in time, whether the blocks are the whole
// row or one run.
// Where a row's blocks [b0, b1) and their scales are fetched ahead (see k_prefetch_bytes).
struct block_prefetch {
  std::int64_t rows, code_bytes;
  std::int32_t g0, g1;
  block_prefetch(const gq_plan& p, std::int64_t b0, std::int64_t b1) {
    const std::int64_t run_bytes = (b1 - b0) * k_gq_block_lanes * static_cast<std::int64_t>(sizeof(std::uint32_t));
    rows = (simd::k_prefetch_bytes + run_bytes - 1) / run_bytes;
    code_bytes = rows * p.words_per_row * static_cast<std::int64_t>(sizeof(std::uint32_t));
    g0 = p.lane_group[b0 * k_gq_block_lanes];
    g1 = p.lane_group[b1 * k_gq_block_lanes - 1] + 1;
  }
};

#endif

}  // namespace kick::cpu::gq_blocks
