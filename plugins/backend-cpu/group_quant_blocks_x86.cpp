// AVX-512 lane-block kernels of 4-bit group-quantized layers (see gq_block_matvec_fn): a block's
// 16 code words are one vector whose nibble k is decoded by an AND and a conversion; x is
// transposed into the matching order once per call, and each lane's group scale is applied once
// per block instead of once per decoded vector.
#include <array>
#include <bit>

#include "group_quant_kernels.h"
#include "quant_simd_x86.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;

// vpermt2ps indices of the 3-stage transpose of a 16 x 8 matrix (x of 128 columns as 16 lanes of
// 8) into 8 x 16. Stage 1: rows 4m.. of k in [4h, 4h + 4); stage 2: rows 8n.. of k in {4h + 2q,
// 4h + 2q + 1}; stage 3: all 16 rows of one k. Index bit 4 picks the second source.
struct transpose_indices {
  alignas(64) std::int32_t stage1[2][16];
  alignas(64) std::int32_t stage2[2][16];
  alignas(64) std::int32_t stage3[2][16];
};

constexpr transpose_indices make_transpose_indices() {
  transpose_indices t{};
  for (int sel = 0; sel < 2; ++sel) {
    for (int l = 0; l < 16; ++l) {
      const int r1 = l / 4, r2 = l / 2;
      t.stage1[sel][l] = (r1 / 2) * 16 + (r1 % 2) * 8 + 4 * sel + l % 4;
      t.stage2[sel][l] = (r2 / 4) * 16 + (r2 % 4) * 4 + 2 * sel + l % 2;
      t.stage3[sel][l] = (l / 8) * 16 + (l % 8) * 2 + sel;
    }
  }
  return t;
}

inline constexpr transpose_indices k_transpose = make_transpose_indices();

constexpr float power_of_two(int e) { return std::bit_cast<float>(static_cast<std::uint32_t>(e + 127) << 23); }

// Nibble k, masked in place (k < 5: bits 4k .. 4k + 3) or after a shift right by 12 (k >= 5: bits
// 4k - 12 ..), read as a float is the subnormal code * 2^(4 k' - 149), k' = k or k - 3; x carries
// 2^(149 - 4 k' - k_block_exponent) and the block's scale 2^k_block_exponent, so products are
// code * x * 2^-64: normal for |x| > 2^-60, and exact like a conversion.
constexpr int k_block_exponent = 64;
constexpr int nibble_position(int k) { return k < 5 ? 4 * k : 4 * k - 12; }
inline constexpr std::array<float, 8> k_input_scale = [] {
  std::array<float, 8> a{};
  for (int k = 0; k < 8; ++k) a[static_cast<std::size_t>(k)] = power_of_two(149 - nibble_position(k) - k_block_exponent);
  return a;
}();

KICK_Q_AVX512 KICK_Q_INLINE __m512i index16(const std::int32_t* a) { return _mm512_load_si512(a); }

KICK_Q_AVX512 void block_prepare_avx512(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt,
                                        float* lane_sums) {
  const __m512i i1[2] = {index16(k_transpose.stage1[0]), index16(k_transpose.stage1[1])};
  const __m512i i2[2] = {index16(k_transpose.stage2[0]), index16(k_transpose.stage2[1])};
  const __m512i i3[2] = {index16(k_transpose.stage3[0]), index16(k_transpose.stage3[1])};
  alignas(64) float gathered[k_gq_block_cols];
  for (std::int64_t b = b0; b < b1; ++b) {
    const float* src = x + b * k_gq_block_cols;
    if (order != nullptr) {
      const std::int32_t* o = order + b * k_gq_block_cols;
      for (int i = 0; i < k_gq_block_cols; ++i) gathered[i] = x[o[i]];
      src = gathered;
    }
    __m512 r[8], s[8], t[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm512_loadu_ps(src + 16 * j);
    for (int m = 0; m < 4; ++m)
      for (int h = 0; h < 2; ++h) s[2 * m + h] = _mm512_permutex2var_ps(r[2 * m], i1[h], r[2 * m + 1]);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 2; ++h)
        for (int q = 0; q < 2; ++q) t[4 * n + 2 * h + q] = _mm512_permutex2var_ps(s[4 * n + h], i2[q], s[4 * n + 2 + h]);
    float* out = xt + (b - b0) * k_gq_block_cols;
    __m512 sum = _mm512_setzero_ps();
    for (int h = 0; h < 2; ++h) {
      for (int q = 0; q < 2; ++q) {
        for (int e = 0; e < 2; ++e) {
          const int k = 4 * h + 2 * q + e;
          const __m512 column_k = _mm512_permutex2var_ps(t[2 * h + q], i3[e], t[4 + 2 * h + q]);
          sum = _mm512_add_ps(sum, column_k);
          _mm512_storeu_ps(out + 16 * k, _mm512_mul_ps(column_k, _mm512_set1_ps(k_input_scale[k])));
        }
      }
    }
    _mm512_storeu_ps(lane_sums + (b - b0) * k_gq_block_lanes, sum);
  }
}

template <int NT>
KICK_Q_AVX512 void block_matvec_avx512(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xt, std::int64_t ld_xt,
                                       const float* lane_sums, std::int64_t ld_sums, std::int64_t b0, std::int64_t b1, float* y,
                                       std::int64_t ldy, bool accumulate) {
  // Independent accumulators per token so that few tokens still hide the FMA latency.
  constexpr int A = NT == 1 ? 4 : NT <= 3 ? 2 : 1;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    __m512 total[NT];
    for (int t = 0; t < NT; ++t) total[t] = _mm512_setzero_ps();
    for (std::int64_t b = b0; b < b1; ++b) {
      _mm_prefetch(reinterpret_cast<const char*>(row + b * k_gq_block_lanes) + 8192, _MM_HINT_T0);  // decode streams rows from memory
      const __m512i words = _mm512_loadu_si512(row + b * k_gq_block_lanes);
      const __m512i high = _mm512_srli_epi32(words, 12);
      const float* xb = xt + (b - b0) * k_gq_block_cols;
      __m512 acc[NT][A];
      for (int t = 0; t < NT; ++t)
        for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
      for (int k = 0; k < 8; ++k) {
        const __m512 q = _mm512_castsi512_ps(_mm512_and_si512(k < 5 ? words : high, _mm512_set1_epi32(0xF << nibble_position(k))));
        for (int t = 0; t < NT; ++t) acc[t][k % A] = _mm512_fmadd_ps(q, _mm512_loadu_ps(xb + t * ld_xt + 16 * k), acc[t][k % A]);
      }
      const std::int32_t* lane_group = p.lane_group + b * k_gq_block_lanes;
      __m512 scale, scale_zero;
      if (lane_group[0] == lane_group[k_gq_block_lanes - 1]) {  // groups never decrease along kernel order
        const float s = s_row[lane_group[0]];
        scale = _mm512_set1_ps(s * power_of_two(k_block_exponent));
        scale_zero = _mm512_set1_ps(s * z_row[lane_group[0]]);
      } else {
        const __m512i g = _mm512_loadu_si512(lane_group);
        const __m512 s = _mm512_i32gather_ps(g, s_row, 4);
        scale = _mm512_mul_ps(s, _mm512_set1_ps(power_of_two(k_block_exponent)));
        scale_zero = _mm512_mul_ps(s, _mm512_i32gather_ps(g, z_row, 4));
      }
      const float* sums = lane_sums + (b - b0) * k_gq_block_lanes;
      for (int t = 0; t < NT; ++t) {
        __m512 a = acc[t][0];
        for (int i = 1; i < A; ++i) a = _mm512_add_ps(a, acc[t][i]);
        total[t] = _mm512_fmadd_ps(a, scale, total[t]);
        total[t] = _mm512_fnmadd_ps(scale_zero, _mm512_loadu_ps(sums + t * ld_sums), total[t]);
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float v = hsum16(total[t]);
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

void block_matvec_avx512_any(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xt, std::int64_t ld_xt,
                             const float* lane_sums, std::int64_t ld_sums, std::int64_t n_tokens, std::int64_t b0, std::int64_t b1,
                             float* y, std::int64_t ldy, bool accumulate) {
  with_token_count<7>(n_tokens, [&]<int T>() { block_matvec_avx512<T>(p, r0, r1, xt, ld_xt, lane_sums, ld_sums, b0, b1, y, ldy, accumulate); });
}

}  // namespace

void gq_block_kernels_avx512(gq_kernels& k) {
  k.block_prepare = block_prepare_avx512;
  k.block_matvec = block_matvec_avx512_any;
}

#else  // not x86-64

void gq_block_kernels_avx512(gq_kernels& k) {
  k.block_prepare = nullptr;
  k.block_matvec = nullptr;
}

#endif

}  // namespace kick::cpu
