// AVX2 lane-block kernels of 2-, 4- and 8-bit group-quantized layers (see gq_block_matvec_fn): the
// same blocks of 16 code words as on AVX-512, each read as two vectors of 8 lanes; code k of a lane
// is selected by an AND (after one shift for the codes past the mantissa bits) and multiply-added, as
// a subnormal float, with x prepared once per call in portable code.

#include "group_quant_blocks.h"
#include "group_quant_kernels.h"
#include "quant_simd_x86.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;
using namespace gq_blocks;

// Adds the codes of lanes [8 h, 8 h + 8) of a block times every token's transposed input into acc[t].
template <int B, int NT, int A>
KICK_Q_AVX2 KICK_Q_INLINE void half_products(const std::uint32_t* half_words, const float* xb, std::int64_t ld_xt, __m256 (&acc)[NT][A]) {
  using pos = code_positions<B>;
  const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(half_words));
  const __m256i high = _mm256_srli_epi32(words, pos::high_shift);
  for (int k = 0; k < pos::K; ++k) {
    const __m256 q = _mm256_castsi256_ps(_mm256_and_si256(pos::in_place(k) ? words : high, _mm256_set1_epi32(((1 << B) - 1) << pos::position(k))));
    for (int t = 0; t < NT; ++t) acc[t][k % A] = _mm256_fmadd_ps(q, _mm256_loadu_ps(xb + t * ld_xt + 16 * k), acc[t][k % A]);
  }
}

template <int NT, int A>
KICK_Q_AVX2 KICK_Q_INLINE __m256 partial_sum(const __m256 (&acc)[NT][A], int t) {
  __m256 a = acc[t][0];
  for (int i = 1; i < A; ++i) a = _mm256_add_ps(a, acc[t][i]);
  return a;
}

// As block_matvec_avx512: uniform blocks scale a group's blocks once and add each group's zeros' term
// where it ends (group_zeros); other layers scale each half-block per lane and subtract its lanes'
// zeros' term.
template <int B, int NT, bool Uniform>
KICK_Q_AVX2 void block_matvec_avx2(const gq_plan& p, std::int64_t r0, std::int64_t r1, const gq_block_input& in, std::int64_t b0,
                                   std::int64_t b1, float* y, std::int64_t ldy, bool accumulate) {
  // 16 vector registers: partial sums per token while they fit beside the totals.
  constexpr int A = NT == 1 ? 4 : NT <= 3 ? 2 : 1;
  constexpr std::int64_t cols = gq_block_cols(B);
  const __m256 block_scale = _mm256_set1_ps(power_of_two(k_block_exponent));
  const block_prefetch ahead(p, b0, b1);
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    prefetch_scales(p, r + ahead.rows, ahead.g0, ahead.g1);
    __m256 total[NT], acc[NT][A];
    for (int t = 0; t < NT; ++t) {
      total[t] = _mm256_setzero_ps();
      for (int a = 0; a < A; ++a) acc[t][a] = _mm256_setzero_ps();
    }
    group_zeros<NT> zeros(p, b0);
    std::int32_t g = p.lane_group[b0 * k_gq_block_lanes];
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::uint32_t* words = row + b * k_gq_block_lanes;
      const auto far = reinterpret_cast<std::uintptr_t>(words) + static_cast<std::uintptr_t>(ahead.code_bytes);
      _mm_prefetch(reinterpret_cast<const char*>(far), _MM_HINT_T0);  // an address past the layer is harmless
      const float* xb = in.xt + (b - b0) * cols;
      if constexpr (Uniform) {
        if (const std::int32_t block_group = p.lane_group[b * k_gq_block_lanes]; block_group != g) {
          const __m256 scale = _mm256_set1_ps(s_row[g]);
          for (int t = 0; t < NT; ++t) {
            total[t] = _mm256_fmadd_ps(partial_sum(acc, t), scale, total[t]);
            for (int a = 0; a < A; ++a) acc[t][a] = _mm256_setzero_ps();
          }
          zeros.end_group(g, s_row[g], z_row[g], in);
          g = block_group;
        }
        half_products<B, NT, A>(words, xb, in.ld_xt, acc);
        half_products<B, NT, A>(words + 8, xb + 8, in.ld_xt, acc);
      } else {
        for (int h = 0; h < 2; ++h) {
          half_products<B, NT, A>(words + 8 * h, xb + 8 * h, in.ld_xt, acc);
          // The half's 8 lanes span at most 8 groups from its first lane's: one masked load and one permute each.
          const std::int32_t* lane_group = p.lane_group + b * k_gq_block_lanes + 8 * h;
          const std::int32_t g0 = lane_group[0];
          const __m256i offsets = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lane_group)), _mm256_set1_epi32(g0));
          const __m256i valid = first_lanes8(p.n_groups - g0);
          const __m256 s = _mm256_permutevar8x32_ps(_mm256_maskload_ps(s_row + g0, valid), offsets);
          const __m256 scale = _mm256_mul_ps(s, block_scale);
          const __m256 scale_zero = _mm256_mul_ps(s, _mm256_permutevar8x32_ps(_mm256_maskload_ps(z_row + g0, valid), offsets));
          const float* sums = in.lane_sums + (b - b0) * k_gq_block_lanes + 8 * h;
          for (int t = 0; t < NT; ++t) {
            total[t] = _mm256_fmadd_ps(partial_sum(acc, t), scale, total[t]);
            total[t] = _mm256_fnmadd_ps(scale_zero, _mm256_loadu_ps(sums + t * in.ld_sums), total[t]);
            for (int a = 0; a < A; ++a) acc[t][a] = _mm256_setzero_ps();
          }
        }
      }
    }
    if constexpr (Uniform) {
      const __m256 scale = _mm256_set1_ps(s_row[g]);
      for (int t = 0; t < NT; ++t) total[t] = _mm256_mul_ps(_mm256_fmadd_ps(partial_sum(acc, t), scale, total[t]), block_scale);
      zeros.end_group(g, s_row[g], z_row[g], in);
    }
    for (int t = 0; t < NT; ++t) {
      const float v = hsum8(total[t]) - zeros.sum[t];
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

template <int B>
void block_matvec_avx2_any(const gq_plan& p, std::int64_t r0, std::int64_t r1, const gq_block_input& in, std::int64_t n_tokens,
                           std::int64_t b0, std::int64_t b1, float* y, std::int64_t ldy, bool accumulate) {
  with_token_count<7>(n_tokens, [&]<int T>() {
    if (p.uniform_blocks) return block_matvec_avx2<B, T, true>(p, r0, r1, in, b0, b1, y, ldy, accumulate);
    block_matvec_avx2<B, T, false>(p, r0, r1, in, b0, b1, y, ldy, accumulate);
  });
}

}  // namespace

void gq_block_kernels_avx2(gq_kernels& k, int bits) {
  switch (bits) {
    case 2: k.block_prepare = block_prepare_portable<2>, k.block_matvec = block_matvec_avx2_any<2>; break;
    case 4: k.block_prepare = block_prepare_portable<4>, k.block_matvec = block_matvec_avx2_any<4>; break;
    case 8: k.block_prepare = block_prepare_portable<8>, k.block_matvec = block_matvec_avx2_any<8>; break;
    default: k.block_prepare = nullptr, k.block_matvec = nullptr; break;
  }
}

#else  // not x86-64

void gq_block_kernels_avx2(gq_kernels& k, int) {
  k.block_prepare = nullptr;
  k.block_matvec = nullptr;
}

#endif

}  // namespace kick::cpu
