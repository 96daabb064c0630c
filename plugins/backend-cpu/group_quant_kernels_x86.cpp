// AVX-512 and AVX2 kernels of group-quantized layers. 32 columns are B words of codes (B = bits):
// each lane picks its word with a permute and its code with a variable shift (codes that straddle
// two words, 3 bits, OR in the next word), 8-bit codes widen bytes directly.
#include <array>
#include <cstring>

#include "group_quant_kernels.h"
#include "quant_simd_x86.h"
#include "kernels.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;

// Lane i of 32 reads bits [B*i, B*i + B) of the step's words.
struct code_lanes {
  alignas(64) std::int32_t word[32];
  alignas(64) std::int32_t shift[32];
  alignas(64) std::int32_t next_word[32];
  alignas(64) std::int32_t next_shift[32];  // 32 - shift: a variable shift by 32 gives 0
};

template <int B>
constexpr code_lanes make_code_lanes() {
  code_lanes l{};
  for (int i = 0; i < 32; ++i) {
    const int bit = B * i;
    l.word[i] = bit / 32;
    l.shift[i] = bit % 32;
    l.next_word[i] = bit / 32 + 1 < 8 ? bit / 32 + 1 : 7;
    l.next_shift[i] = 32 - bit % 32;
  }
  return l;
}

template <int B>
inline constexpr code_lanes k_lanes = make_code_lanes<B>();

// Copies the step's words that exist (a row's last step may have fewer than B) into zeroed memory.
inline void copy_tail_words(const std::uint32_t* words, std::int64_t n_words, std::uint32_t* buf) {
  std::memset(buf, 0, 8 * sizeof(std::uint32_t));
  std::memcpy(buf, words, static_cast<std::size_t>(n_words) * sizeof(std::uint32_t));
}

// ---- AVX-512 --------------------------------------------------------------------------------

template <int B>
KICK_Q_AVX512 KICK_Q_INLINE __m512i codes16_avx512(__m512i words, int half) {
  const code_lanes& l = k_lanes<B>;
  __m512i v = _mm512_srlv_epi32(_mm512_permutexvar_epi32(_mm512_load_si512(l.word + 16 * half), words),
                                _mm512_load_si512(l.shift + 16 * half));
  if constexpr (32 % B != 0) {
    v = _mm512_or_si512(v, _mm512_sllv_epi32(_mm512_permutexvar_epi32(_mm512_load_si512(l.next_word + 16 * half), words),
                                             _mm512_load_si512(l.next_shift + 16 * half)));
  }
  return _mm512_and_si512(v, _mm512_set1_epi32((1 << B) - 1));
}

// The codes of 32 columns as floats, from the step's first word.
template <int B>
KICK_Q_AVX512 KICK_Q_INLINE void decode32_avx512(const std::uint32_t* words, __m512& q0, __m512& q1) {
  if constexpr (B == 8) {
    q0 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(words))));
    q1 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(words + 4))));
  } else {
    // 2 bits: 2 words; 3 and 4 bits: 4 words (of which 3-bit steps use 3).
    const __m512i w = B == 2 ? _mm512_zextsi128_si512(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(words)))
                             : _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(words)));
    q0 = _mm512_cvtepi32_ps(codes16_avx512<B>(w, 0));
    q1 = _mm512_cvtepi32_ps(codes16_avx512<B>(w, 1));
  }
}

// Per-lane scale and -scale*zero of n columns from c (lanes past n get 0).
inline void lane_scales(const gq_plan& p, const float* s_row, const float* z_row, std::int64_t c, std::int64_t n, float* s, float* b) {
  for (std::int64_t i = 0; i < 32; ++i) {
    const std::int32_t g = i < n ? p.col_group[c + i] : -1;
    s[i] = g >= 0 ? s_row[g] : 0.0f;
    b[i] = g >= 0 ? -s_row[g] * z_row[g] : 0.0f;
  }
}

// Words a step's plain (unmasked) load reads: 3-bit steps load 4 words and use 3.
template <int B>
constexpr std::int64_t k_load_words = B == 3 ? 4 : B;

// Each 32-column step fetches the codes simd::k_prefetch_bytes ahead and the scales and zeros
// about as far ahead (rows' groups are contiguous too).
template <int B>
KICK_Q_INLINE void prefetch_step(const gq_plan& p, const std::uint32_t* row, const float* s_row, const float* z_row, std::int64_t c) {
  constexpr std::int64_t ahead_cols = simd::k_prefetch_bytes * 8 / B;
  _mm_prefetch(reinterpret_cast<const char*>(row + c / 32 * B) + simd::k_prefetch_bytes, _MM_HINT_T0);
  const std::int64_t g = (c + ahead_cols) * p.n_groups / p.n_cols;
  _mm_prefetch(reinterpret_cast<const char*>(s_row + g), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(z_row + g), _MM_HINT_T0);
}

// The weights of the 32 columns from c (n of them valid; c a multiple of 32) of one row.
template <int B, bool Full>
KICK_Q_AVX512 KICK_Q_INLINE void step_weights_avx512(const gq_plan& p, const std::uint32_t* row, const float* s_row, const float* z_row,
                                              std::int64_t c, std::int64_t n, __m512& w0, __m512& w1) {
  const std::int64_t first_word = c / 32 * B;
  __m512 q0, q1;
  if (Full && first_word + k_load_words<B> <= p.words_per_row) {
    decode32_avx512<B>(row + first_word, q0, q1);
  } else {
    alignas(64) std::uint32_t buf[8];
    copy_tail_words(row + first_word, p.words_per_row - first_word < B ? p.words_per_row - first_word : B, buf);
    decode32_avx512<B>(buf, q0, q1);
  }
  const std::int32_t g = Full ? p.step_group[c / 32] : -1;
  if (g >= 0) {
    const __m512 s = _mm512_set1_ps(s_row[g]), b = _mm512_set1_ps(-s_row[g] * z_row[g]);
    w0 = _mm512_fmadd_ps(q0, s, b);
    w1 = _mm512_fmadd_ps(q1, s, b);
  } else {
    alignas(64) float s[32], b[32];
    lane_scales(p, s_row, z_row, c, n, s, b);
    w0 = _mm512_fmadd_ps(q0, _mm512_load_ps(s), _mm512_load_ps(b));
    w1 = _mm512_fmadd_ps(q1, _mm512_load_ps(s + 16), _mm512_load_ps(b + 16));
  }
  if (p.inv_input_scale != nullptr) {
    w0 = _mm512_mul_ps(w0, _mm512_maskz_loadu_ps(first_lanes16(n), p.inv_input_scale + c));
    w1 = _mm512_mul_ps(w1, _mm512_maskz_loadu_ps(first_lanes16(n - 16), p.inv_input_scale + c + 16));
  }
}

template <int B, int NT>
KICK_Q_AVX512 void matvec_avx512(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx, std::int64_t c0,
                                 std::int64_t c1, float* y, std::int64_t ldy, bool accumulate) {
  const std::int64_t full_end = c0 + (c1 - c0) / 32 * 32;
  for (std::int64_t r = r0; r < r1; ++r) {
    __m512 acc0[NT], acc1[NT];
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    const float* x = xs;
    for (std::int64_t c = c0; c < full_end; c += 32, x += 32) {
      __m512 w0, w1;
      prefetch_step<B>(p, row, s_row, z_row, c);
      step_weights_avx512<B, true>(p, row, s_row, z_row, c, 32, w0, w1);
      for (int t = 0; t < NT; ++t) {
        acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + t * ldx), acc0[t]);
        acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + t * ldx + 16), acc1[t]);
      }
    }
    if (full_end < c1) {
      const std::int64_t n = c1 - full_end;
      __m512 w0, w1;
      step_weights_avx512<B, false>(p, row, s_row, z_row, full_end, n, w0, w1);
      const __mmask16 m0 = first_lanes16(n), m1 = first_lanes16(n - 16);
      for (int t = 0; t < NT; ++t) {
        acc0[t] = _mm512_mask3_fmadd_ps(w0, _mm512_maskz_loadu_ps(m0, x + t * ldx), acc0[t], m0);
        acc1[t] = _mm512_mask3_fmadd_ps(w1, _mm512_maskz_loadu_ps(m1, x + t * ldx + 16), acc1[t], m1);
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float v = hsum16(_mm512_add_ps(acc0[t], acc1[t]));
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

template <int B>
KICK_Q_AVX512 void decode_avx512(const gq_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    float* o = out + (r - r0) * p.n_cols;
    for (std::int64_t c = 0; c < p.n_cols; c += 32) {
      const std::int64_t n = p.n_cols - c < 32 ? p.n_cols - c : 32;
      alignas(64) std::uint32_t buf[8];
      const std::int64_t words_left = p.words_per_row - c / 32 * B;
      const bool whole = words_left >= k_load_words<B>;
      if (!whole) copy_tail_words(row + c / 32 * B, words_left, buf);
      __m512 q[2];
      decode32_avx512<B>(whole ? row + c / 32 * B : buf, q[0], q[1]);
      const std::int32_t g = n == 32 ? p.step_group[c / 32] : -1;
      alignas(64) float s[32], z[32];
      for (std::int64_t i = 0; i < 32; ++i) {
        const std::int32_t gi = g >= 0 ? g : (i < n ? p.col_group[c + i] : 0);
        s[i] = s_row[gi];
        z[i] = z_row[gi];
      }
      for (int h = 0; h < 2; ++h) {
        const __mmask16 m = first_lanes16(n - 16 * h);
        __m512 v = _mm512_mul_ps(_mm512_load_ps(s + 16 * h), _mm512_sub_ps(q[h], _mm512_load_ps(z + 16 * h)));
        if (p.input_scale != nullptr) v = _mm512_div_ps(v, _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, p.input_scale + c + 16 * h));
        _mm512_mask_storeu_ps(o + c + 16 * h, m, v);
      }
    }
  }
}

// ---- AVX2 -----------------------------------------------------------------------------------

KICK_Q_AVX2 KICK_Q_INLINE __m256i lanes8(const std::int32_t* a) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(a)); }

template <int B>
KICK_Q_AVX2 KICK_Q_INLINE __m256i codes8_avx2(__m256i words, int quarter) {
  const code_lanes& l = k_lanes<B>;
  const int q = 8 * quarter;
  __m256i v = _mm256_srlv_epi32(_mm256_permutevar8x32_epi32(words, lanes8(l.word + q)), lanes8(l.shift + q));
  if constexpr (32 % B != 0)
    v = _mm256_or_si256(v, _mm256_sllv_epi32(_mm256_permutevar8x32_epi32(words, lanes8(l.next_word + q)), lanes8(l.next_shift + q)));
  return _mm256_and_si256(v, _mm256_set1_epi32((1 << B) - 1));
}

template <int B>
KICK_Q_AVX2 KICK_Q_INLINE void decode32_avx2(const std::uint32_t* words, __m256* q) {
  if constexpr (B == 8) {
    for (int k = 0; k < 4; ++k)
      q[k] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(words + 2 * k))));
  } else {
    const __m256i w = _mm256_maskload_epi32(reinterpret_cast<const int*>(words), first_lanes8(B));
    for (int k = 0; k < 4; ++k) q[k] = _mm256_cvtepi32_ps(codes8_avx2<B>(w, k));
  }
}

template <int B, int NT>
KICK_Q_AVX2 void matvec_avx2(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx, std::int64_t c0,
                             std::int64_t c1, float* y, std::int64_t ldy, bool accumulate) {
  for (std::int64_t r = r0; r < r1; ++r) {
    __m256 acc0[NT], acc1[NT];
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    for (std::int64_t c = c0; c < c1; c += 32) {
      const std::int64_t n = c1 - c < 32 ? c1 - c : 32;
      prefetch_step<B>(p, row, s_row, z_row, c);
      __m256 q[4];
      if (n == 32 && c / 32 * B + B <= p.words_per_row) {
        decode32_avx2<B>(row + c / 32 * B, q);
      } else {
        alignas(32) std::uint32_t buf[8];
        copy_tail_words(row + c / 32 * B, p.words_per_row - c / 32 * B < B ? p.words_per_row - c / 32 * B : B, buf);
        decode32_avx2<B>(buf, q);
      }
      __m256 w[4];
      const std::int32_t g = n == 32 ? p.step_group[c / 32] : -1;
      if (g >= 0) {
        const __m256 s = _mm256_set1_ps(s_row[g]), b = _mm256_set1_ps(-s_row[g] * z_row[g]);
        for (int k = 0; k < 4; ++k) w[k] = _mm256_fmadd_ps(q[k], s, b);
      } else {
        alignas(32) float s[32], b[32];
        lane_scales(p, s_row, z_row, c, n, s, b);
        for (int k = 0; k < 4; ++k) w[k] = _mm256_fmadd_ps(q[k], _mm256_load_ps(s + 8 * k), _mm256_load_ps(b + 8 * k));
      }
      if (p.inv_input_scale != nullptr) {
        for (int k = 0; k < 4; ++k) w[k] = _mm256_mul_ps(w[k], _mm256_maskload_ps(p.inv_input_scale + c + 8 * k, first_lanes8(n - 8 * k)));
      }
      const float* x = xs + (c - c0);
      if (n == 32) {
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(x + t * ldx), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(x + t * ldx + 8), acc1[t]);
          acc0[t] = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(x + t * ldx + 16), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(x + t * ldx + 24), acc1[t]);
        }
      } else {
        for (int k = 0; k < 4; ++k) {
          const __m256i m = first_lanes8(n - 8 * k);
          const __m256 wk = _mm256_and_ps(w[k], _mm256_castsi256_ps(m));  // lanes past the row are 0, not garbage
          for (int t = 0; t < NT; ++t) acc0[t] = _mm256_fmadd_ps(wk, _mm256_maskload_ps(x + t * ldx + 8 * k, m), acc0[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float v = hsum8(_mm256_add_ps(acc0[t], acc1[t]));
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

template <int B>
KICK_Q_AVX2 void decode_avx2(const gq_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint32_t* row = p.packed + r * p.words_per_row;
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    float* o = out + (r - r0) * p.n_cols;
    for (std::int64_t c = 0; c < p.n_cols; c += 32) {
      const std::int64_t n = p.n_cols - c < 32 ? p.n_cols - c : 32;
      alignas(32) std::uint32_t buf[8];
      const std::int64_t words_left = p.words_per_row - c / 32 * B;
      const bool whole = words_left >= B;
      if (!whole) copy_tail_words(row + c / 32 * B, words_left, buf);
      __m256 q[4];
      decode32_avx2<B>(whole ? row + c / 32 * B : buf, q);
      const std::int32_t g = n == 32 ? p.step_group[c / 32] : -1;
      alignas(32) float s[32], z[32];
      for (std::int64_t i = 0; i < 32; ++i) {
        const std::int32_t gi = g >= 0 ? g : (i < n ? p.col_group[c + i] : 0);
        s[i] = s_row[gi];
        z[i] = z_row[gi];
      }
      for (int k = 0; k < 4; ++k) {
        const __m256i m = first_lanes8(n - 8 * k);
        __m256 v = _mm256_mul_ps(_mm256_load_ps(s + 8 * k), _mm256_sub_ps(q[k], _mm256_load_ps(z + 8 * k)));
        if (p.input_scale != nullptr) {
          const __m256 in = _mm256_maskload_ps(p.input_scale + c + 8 * k, m);
          v = _mm256_div_ps(v, _mm256_blendv_ps(_mm256_set1_ps(1.0f), in, _mm256_castsi256_ps(m)));
        }
        _mm256_maskstore_ps(o + c + 8 * k, m, v);
      }
    }
  }
}

// ---- dispatch over the token count ----------------------------------------------------------

#define KICK_GQ_MATVEC(ISA)                                                                                                  \
  template <int B>                                                                                                           \
  void matvec_##ISA##_any(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx,              \
                          std::int64_t n_tokens, std::int64_t c0, std::int64_t c1, float* y, std::int64_t ldy, bool accumulate) { \
    with_token_count<7>(n_tokens, [&]<int T>() { matvec_##ISA<B, T>(p, r0, r1, xs, ldx, c0, c1, y, ldy, accumulate); });          \
  }
KICK_GQ_MATVEC(avx512)
KICK_GQ_MATVEC(avx2)
#undef KICK_GQ_MATVEC

}  // namespace

gq_kernels gq_kernels_avx512(int bits) {
  if (!cpu_has_avx2_fma_f16c() || !__builtin_cpu_supports("avx512f")) return {};
  switch (bits) {
    case 2: return {matvec_avx512_any<2>, decode_avx512<2>};
    case 3: return {matvec_avx512_any<3>, decode_avx512<3>};
    case 4: return {matvec_avx512_any<4>, decode_avx512<4>};
    case 8: return {matvec_avx512_any<8>, decode_avx512<8>};
    default: return {};
  }
}

gq_kernels gq_kernels_avx2(int bits) {
  if (!cpu_has_avx2_fma_f16c()) return {};
  switch (bits) {
    case 2: return {matvec_avx2_any<2>, decode_avx2<2>};
    case 3: return {matvec_avx2_any<3>, decode_avx2<3>};
    case 4: return {matvec_avx2_any<4>, decode_avx2<4>};
    case 8: return {matvec_avx2_any<8>, decode_avx2<8>};
    default: return {};
  }
}

#else  // not x86-64

gq_kernels gq_kernels_avx512(int) { return {}; }
gq_kernels gq_kernels_avx2(int) { return {}; }

#endif

}  // namespace kick::cpu
