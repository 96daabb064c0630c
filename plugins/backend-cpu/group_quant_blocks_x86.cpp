// AVX-512 lane-block kernels of 2-, 4- and 8-bit group-quantized layers (see gq_block_matvec_fn):
// a block's 16 code words are one vector whose code k is decoded by an AND (after one shift for the
// codes past the mantissa bits); x is transposed into the matching order once per call, and each
// lane's group scale is applied once per block instead of once per decoded vector.
#include <array>

#include "group_quant_blocks.h"
#include "group_quant_kernels.h"
#include "quant_simd_x86.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;
using namespace gq_blocks;

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

KICK_Q_AVX512 KICK_Q_INLINE __m512i index16(const std::int32_t* a) { return _mm512_load_si512(a); }

// 4 bits: the 16 x 8 transpose by three stages of two-source permutes.
KICK_Q_AVX512 void block_prepare4_avx512(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt,
                                        float* lane_sums) {
  const __m512i i1[2] = {index16(k_transpose.stage1[0]), index16(k_transpose.stage1[1])};
  const __m512i i2[2] = {index16(k_transpose.stage2[0]), index16(k_transpose.stage2[1])};
  const __m512i i3[2] = {index16(k_transpose.stage3[0]), index16(k_transpose.stage3[1])};
  constexpr std::int64_t cols = gq_block_cols(4);
  alignas(64) float gathered[cols];
  for (std::int64_t b = b0; b < b1; ++b) {
    const float* src = block_columns(x, order, b, cols, gathered);
    __m512 r[8], s[8], t[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm512_loadu_ps(src + 16 * j);
    for (int m = 0; m < 4; ++m)
      for (int h = 0; h < 2; ++h) s[2 * m + h] = _mm512_permutex2var_ps(r[2 * m], i1[h], r[2 * m + 1]);
    for (int n = 0; n < 2; ++n)
      for (int h = 0; h < 2; ++h)
        for (int q = 0; q < 2; ++q) t[4 * n + 2 * h + q] = _mm512_permutex2var_ps(s[4 * n + h], i2[q], s[4 * n + 2 + h]);
    float* out = xt + (b - b0) * cols;
    __m512 sum = _mm512_setzero_ps();
    for (int h = 0; h < 2; ++h) {
      for (int q = 0; q < 2; ++q) {
        for (int e = 0; e < 2; ++e) {
          const int k = 4 * h + 2 * q + e;
          const __m512 column_k = _mm512_permutex2var_ps(t[2 * h + q], i3[e], t[4 + 2 * h + q]);
          sum = _mm512_add_ps(sum, column_k);
          _mm512_storeu_ps(out + 16 * k, _mm512_mul_ps(column_k, _mm512_set1_ps(code_positions<4>::input_scale[static_cast<std::size_t>(k)])));
        }
      }
    }
    _mm512_storeu_ps(lane_sums + (b - b0) * k_gq_block_lanes, sum);
  }
}

// 2 and 8 bits: code k of the 16 lanes gathered with stride K.
template <int B>
KICK_Q_AVX512 void block_prepare_gather_avx512(const float* x, const std::int32_t* order, std::int64_t b0, std::int64_t b1, float* xt,
                                               float* lane_sums) {
  using pos = code_positions<B>;
  constexpr std::int64_t cols = gq_block_cols(B);
  const __m512i lane_first = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(pos::K));
  alignas(64) float gathered[cols];
  for (std::int64_t b = b0; b < b1; ++b) {
    const float* src = block_columns(x, order, b, cols, gathered);
    float* out = xt + (b - b0) * cols;
    __m512 sum = _mm512_setzero_ps();
    for (int k = 0; k < pos::K; ++k) {
      const __m512 column_k = _mm512_i32gather_ps(_mm512_add_epi32(lane_first, _mm512_set1_epi32(k)), src, 4);
      sum = _mm512_add_ps(sum, column_k);
      _mm512_storeu_ps(out + 16 * k, _mm512_mul_ps(column_k, _mm512_set1_ps(pos::input_scale[static_cast<std::size_t>(k)])));
    }
    _mm512_storeu_ps(lane_sums + (b - b0) * k_gq_block_lanes, sum);
  }
}

// Adds block b's codes times every token's transposed input into acc[t] (A partial sums per token).
template <int B, int NT, int A>
KICK_Q_AVX512 KICK_Q_INLINE void block_products(const std::uint32_t* block_words, std::int64_t prefetch_bytes, const float* xb,
                                                std::int64_t ld_xt, __m512 (&acc)[NT][A]) {
  using pos = code_positions<B>;
  const auto ahead = reinterpret_cast<std::uintptr_t>(block_words) + static_cast<std::uintptr_t>(prefetch_bytes);
  _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T0);  // an address past the layer is harmless
  const __m512i words = _mm512_loadu_si512(block_words);
  const __m512i high = _mm512_srli_epi32(words, pos::high_shift);
  for (int k = 0; k < pos::K; ++k) {
    const __m512 q = _mm512_castsi512_ps(_mm512_and_si512(pos::in_place(k) ? words : high, _mm512_set1_epi32(((1 << B) - 1) << pos::position(k))));
    for (int t = 0; t < NT; ++t) acc[t][k % A] = _mm512_fmadd_ps(q, _mm512_loadu_ps(xb + t * ld_xt + 16 * k), acc[t][k % A]);
  }
}

template <int NT, int A>
KICK_Q_AVX512 KICK_Q_INLINE __m512 partial_sum(const __m512 (&acc)[NT][A], int t) {
  __m512 a = acc[t][0];
  for (int i = 1; i < A; ++i) a = _mm512_add_ps(a, acc[t][i]);
  return a;
}

// Uniform blocks: a group's blocks accumulate together and are scaled once (code * x * 2^-64 sums,
// times 2^64 at the end of the row), and each group adds scale * zero * group_sums[g] to the zeros'
// term where it ends (group_zeros). Otherwise every block is scaled on its own, per lane, and
// subtracts its lanes' zeros' term.
template <int B, int NT, bool Uniform>
KICK_Q_AVX512 void block_matvec_avx512(const gq_plan& p, std::int64_t r0, std::int64_t r1, const gq_block_input& in, std::int64_t b0,
                                       std::int64_t b1, float* y, std::int64_t ldy, bool accumulate) {
  // Independent accumulators per token so that few tokens still hide the FMA latency.
  constexpr int A = NT == 1 ? 4 : NT <= 3 ? 2 : 1;
  constexpr std::int64_t cols = gq_block_cols(B);
  const float block_scale = power_of_two(k_block_exponent);
  const block_prefetch ahead(p, b0, b1);
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    prefetch_scales(p, r + ahead.rows, ahead.g0, ahead.g1);
    // The scaled sums and the zeros' term, two short dependency chains instead of one long one.
    __m512 total[NT], total_zero[NT], acc[NT][A];
    for (int t = 0; t < NT; ++t) {
      total[t] = total_zero[t] = _mm512_setzero_ps();
      for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
    }
    if constexpr (Uniform) {
      group_zeros<NT> zeros(p, b0);
      std::int32_t g = p.lane_group[b0 * k_gq_block_lanes];
      const auto end_group = [&]() KICK_Q_AVX512 {
        const __m512 scale = _mm512_set1_ps(s_row[g]);
        for (int t = 0; t < NT; ++t) {
          total[t] = _mm512_fmadd_ps(partial_sum(acc, t), scale, total[t]);
          for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
        }
        zeros.end_group(g, s_row[g], z_row[g], in);
      };
      for (std::int64_t b = b0; b < b1; ++b) {
        if (const std::int32_t block_group = p.lane_group[b * k_gq_block_lanes]; block_group != g) {
          end_group();
          g = block_group;
        }
        block_products<B, NT, A>(row + b * k_gq_block_lanes, ahead.code_bytes, in.xt + (b - b0) * cols, in.ld_xt, acc);
      }
      end_group();
      for (int t = 0; t < NT; ++t) {
        total[t] = _mm512_mul_ps(total[t], _mm512_set1_ps(block_scale));
        total_zero[t] = _mm512_zextps128_ps512(_mm_set_ss(zeros.sum[t]));
      }
    } else {
      for (std::int64_t b = b0; b < b1; ++b) {
        block_products<B, NT, A>(row + b * k_gq_block_lanes, ahead.code_bytes, in.xt + (b - b0) * cols, in.ld_xt, acc);
        const std::int32_t* lane_group = p.lane_group + b * k_gq_block_lanes;
        __m512 scale, scale_zero;
        if (lane_group[0] == lane_group[k_gq_block_lanes - 1]) {  // groups never decrease along kernel order
          const float s = s_row[lane_group[0]];
          scale = _mm512_set1_ps(s * block_scale);
          scale_zero = _mm512_set1_ps(s * z_row[lane_group[0]]);
        } else {
          // The block's 16 lanes span at most 16 groups from lane 0's: one masked load and one permute each.
          const std::int32_t g0 = lane_group[0];
          const __m512i offsets = _mm512_sub_epi32(_mm512_loadu_si512(lane_group), _mm512_set1_epi32(g0));
          const __mmask16 valid = first_lanes16(p.n_groups - g0);
          const __m512 s = _mm512_permutexvar_ps(offsets, _mm512_maskz_loadu_ps(valid, s_row + g0));
          scale = _mm512_mul_ps(s, _mm512_set1_ps(block_scale));
          scale_zero = _mm512_mul_ps(s, _mm512_permutexvar_ps(offsets, _mm512_maskz_loadu_ps(valid, z_row + g0)));
        }
        const float* sums = in.lane_sums + (b - b0) * k_gq_block_lanes;
        for (int t = 0; t < NT; ++t) {
          total[t] = _mm512_fmadd_ps(partial_sum(acc, t), scale, total[t]);
          total_zero[t] = _mm512_fmadd_ps(scale_zero, _mm512_loadu_ps(sums + t * in.ld_sums), total_zero[t]);
          for (int a = 0; a < A; ++a) acc[t][a] = _mm512_setzero_ps();
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float v = hsum16(_mm512_sub_ps(total[t], total_zero[t]));
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

template <int B>
void block_matvec_avx512_any(const gq_plan& p, std::int64_t r0, std::int64_t r1, const gq_block_input& in, std::int64_t n_tokens,
                             std::int64_t b0, std::int64_t b1, float* y, std::int64_t ldy, bool accumulate) {
  with_token_count<7>(n_tokens, [&]<int T>() {
    if (p.uniform_blocks) return block_matvec_avx512<B, T, true>(p, r0, r1, in, b0, b1, y, ldy, accumulate);
    block_matvec_avx512<B, T, false>(p, r0, r1, in, b0, b1, y, ldy, accumulate);
  });
}

}  // namespace

void gq_block_kernels_avx512(gq_kernels& k, int bits) {
  switch (bits) {
    case 2: k.block_prepare = block_prepare_gather_avx512<2>, k.block_matvec = block_matvec_avx512_any<2>; break;
    case 4: k.block_prepare = block_prepare4_avx512, k.block_matvec = block_matvec_avx512_any<4>; break;
    case 8: k.block_prepare = block_prepare_gather_avx512<8>, k.block_matvec = block_matvec_avx512_any<8>; break;
    default: k.block_prepare = nullptr, k.block_matvec = nullptr; break;
  }
}

#else  // not x86-64

void gq_block_kernels_avx512(gq_kernels& k, int) {
  k.block_prepare = nullptr;
  k.block_matvec = nullptr;
}

#endif

}  // namespace kick::cpu
