// AVX-512 and AVX2 kernels of NF4 layers. Four bytes hold eight codes; every lane takes its byte's
// dword and shifts its nibble down (the even flat index is the high nibble), so codes come out in
// column order. AVX-512 looks the 16-entry table up with one permute; AVX2 with two 8-entry
// permutes and a blend on the code's top bit.
#include <cstring>

#include "kick/formats.h"
#include "nf4_kernels.h"
#include "quant_simd_x86.h"
#include "kernels.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;

// The absmax of flat indices [f, f + 32), n of them valid, into a[32] (a straddled block boundary).
inline void lane_absmax(const nf4_plan& p, std::int64_t f, std::int64_t n, float* a) {
  for (std::int64_t i = 0; i < 32; ++i) a[i] = p.absmax[(f + (i < n ? i : n - 1)) / p.block_size];
}

// The codes of n <= 32 columns from an even flat index f: whole steps read in place, the last
// partial step from a zeroed copy.
inline const std::uint8_t* step_bytes(const nf4_plan& p, std::int64_t f, std::int64_t n, std::uint8_t* buf) {
  if (n == 32) return p.codes + f / 2;
  std::memset(buf, 0, 16);
  std::memcpy(buf, p.codes + f / 2, static_cast<std::size_t>((n + 1) / 2));
  return buf;
}

// The weight of an odd flat index's column (a row that starts mid-byte).
inline float odd_weight(const nf4_plan& p, std::int64_t f) {
  return k_nf4_table[p.codes[f / 2] & 0x0f] * p.absmax[f / p.block_size];
}

// Each step fetches the codes simd::k_prefetch_bytes ahead and the absmax values of the same columns.
inline void prefetch_ahead(const nf4_plan& p, std::int64_t f) {
  const std::int64_t ahead = f + 2 * simd::k_prefetch_bytes;  // flat index
  _mm_prefetch(reinterpret_cast<const char*>(p.codes + ahead / 2), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(p.absmax + ahead / p.block_size), _MM_HINT_T0);
}

// Walks a row's steps through the absmax blocks without a division per step.
struct block_cursor {
  const nf4_plan* p;
  std::int64_t block, end;  // the block of the last step and where it ends (flat index)
  block_cursor(const nf4_plan& plan, std::int64_t f) : p(&plan), block(f / plan.block_size), end((block + 1) * plan.block_size) {}
  // The block holding flat indices [f, f + n), or -1 when they straddle a boundary.
  std::int64_t of(std::int64_t f, std::int64_t n) {
    while (f >= end) ++block, end += p->block_size;
    return f + n <= end ? block : -1;
  }
};

// ---- AVX-512 --------------------------------------------------------------------------------

// 32 weights of flat indices [f, f + 32) (f even; lanes past n are garbage but finite).
KICK_Q_AVX512 KICK_Q_INLINE void weights32_avx512(const nf4_plan& p, std::int64_t f, std::int64_t n, block_cursor& blocks, __m512& w0,
                                                  __m512& w1) {
  alignas(16) std::uint8_t buf[16];
  const __m512i words = _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(step_bytes(p, f, n, buf))));
  const __m512i shift = _mm512_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24, 4, 0, 12, 8, 20, 16, 28, 24);
  const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i idx1 = _mm512_add_epi32(idx0, _mm512_set1_epi32(2));
  const __m512i nibble = _mm512_set1_epi32(0x0f);
  const __m512 table = _mm512_loadu_ps(k_nf4_table);
  const __m512i c0 = _mm512_and_si512(_mm512_srlv_epi32(_mm512_permutexvar_epi32(idx0, words), shift), nibble);
  const __m512i c1 = _mm512_and_si512(_mm512_srlv_epi32(_mm512_permutexvar_epi32(idx1, words), shift), nibble);
  w0 = _mm512_permutexvar_ps(c0, table);
  w1 = _mm512_permutexvar_ps(c1, table);
  if (const std::int64_t b = blocks.of(f, n); b >= 0) {
    const __m512 a = _mm512_set1_ps(p.absmax[b]);
    w0 = _mm512_mul_ps(w0, a);
    w1 = _mm512_mul_ps(w1, a);
  } else {
    alignas(64) float a[32];
    lane_absmax(p, f, n, a);
    w0 = _mm512_mul_ps(w0, _mm512_load_ps(a));
    w1 = _mm512_mul_ps(w1, _mm512_load_ps(a + 16));
  }
}

template <int NT>
KICK_Q_AVX512 void matvec_avx512(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    __m512 acc0[NT], acc1[NT];
    float first[NT] = {};
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm512_setzero_ps();
    std::int64_t c = 0;
    if ((r * cols) % 2 != 0) {
      const float w = odd_weight(p, r * cols);
      for (int t = 0; t < NT; ++t) first[t] = w * x[t * cols];
      c = 1;
    }
    block_cursor blocks(p, r * cols + c);
    for (; c < cols; c += 32) {
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      __m512 w0, w1;
      prefetch_ahead(p, r * cols + c);
      weights32_avx512(p, r * cols + c, n, blocks, w0, w1);
      const float* xc = x + c;
      if (n == 32) {
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xc + t * cols), acc0[t]);
          acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xc + t * cols + 16), acc1[t]);
        }
      } else {
        const __mmask16 m0 = first_lanes16(n), m1 = first_lanes16(n - 16);
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm512_mask3_fmadd_ps(w0, _mm512_maskz_loadu_ps(m0, xc + t * cols), acc0[t], m0);
          acc1[t] = _mm512_mask3_fmadd_ps(w1, _mm512_maskz_loadu_ps(m1, xc + t * cols + 16), acc1[t], m1);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = first[t] + hsum16(_mm512_add_ps(acc0[t], acc1[t]));
  }
}

KICK_Q_AVX512 void decode_avx512(const nf4_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    float* o = out + (r - r0) * cols;
    std::int64_t c = 0;
    if ((r * cols) % 2 != 0) o[c++] = odd_weight(p, r * cols);
    block_cursor blocks(p, r * cols + c);
    for (; c < cols; c += 32) {
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      __m512 w0, w1;
      prefetch_ahead(p, r * cols + c);
      weights32_avx512(p, r * cols + c, n, blocks, w0, w1);
      _mm512_mask_storeu_ps(o + c, first_lanes16(n), w0);
      _mm512_mask_storeu_ps(o + c + 16, first_lanes16(n - 16), w1);
    }
  }
}

// ---- AVX2 -----------------------------------------------------------------------------------

KICK_Q_AVX2 KICK_Q_INLINE __m256 lookup8_avx2(__m256i code) {
  const __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(k_nf4_table), code);
  const __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(k_nf4_table + 8), code);
  return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(code, 28)));
}

KICK_Q_AVX2 KICK_Q_INLINE void weights32_avx2(const nf4_plan& p, std::int64_t f, std::int64_t n, block_cursor& blocks, __m256* w) {
  alignas(16) std::uint8_t buf[16];
  std::uint32_t words[4];
  std::memcpy(words, step_bytes(p, f, n, buf), sizeof words);
  const __m256i shift = _mm256_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24);
  for (int k = 0; k < 4; ++k) {
    const __m256i code = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(words[k])), shift), _mm256_set1_epi32(0x0f));
    w[k] = lookup8_avx2(code);
  }
  if (const std::int64_t b = blocks.of(f, n); b >= 0) {
    const __m256 a = _mm256_set1_ps(p.absmax[b]);
    for (int k = 0; k < 4; ++k) w[k] = _mm256_mul_ps(w[k], a);
  } else {
    alignas(32) float a[32];
    lane_absmax(p, f, n, a);
    for (int k = 0; k < 4; ++k) w[k] = _mm256_mul_ps(w[k], _mm256_load_ps(a + 8 * k));
  }
}

template <int NT>
KICK_Q_AVX2 void matvec_avx2(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    __m256 acc0[NT], acc1[NT];
    float first[NT] = {};
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
    std::int64_t c = 0;
    if ((r * cols) % 2 != 0) {
      const float w = odd_weight(p, r * cols);
      for (int t = 0; t < NT; ++t) first[t] = w * x[t * cols];
      c = 1;
    }
    block_cursor blocks(p, r * cols + c);
    for (; c < cols; c += 32) {
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      __m256 w[4];
      prefetch_ahead(p, r * cols + c);
      weights32_avx2(p, r * cols + c, n, blocks, w);
      const float* xc = x + c;
      if (n == 32) {
        for (int t = 0; t < NT; ++t) {
          acc0[t] = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(xc + t * cols), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(xc + t * cols + 8), acc1[t]);
          acc0[t] = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(xc + t * cols + 16), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(xc + t * cols + 24), acc1[t]);
        }
      } else {
        for (int k = 0; k < 4; ++k) {
          const __m256i m = first_lanes8(n - 8 * k);
          const __m256 wk = _mm256_and_ps(w[k], _mm256_castsi256_ps(m));
          for (int t = 0; t < NT; ++t) acc0[t] = _mm256_fmadd_ps(wk, _mm256_maskload_ps(xc + t * cols + 8 * k, m), acc0[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = first[t] + hsum8(_mm256_add_ps(acc0[t], acc1[t]));
  }
}

KICK_Q_AVX2 void decode_avx2(const nf4_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    float* o = out + (r - r0) * cols;
    std::int64_t c = 0;
    if ((r * cols) % 2 != 0) o[c++] = odd_weight(p, r * cols);
    block_cursor blocks(p, r * cols + c);
    for (; c < cols; c += 32) {
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      __m256 w[4];
      prefetch_ahead(p, r * cols + c);
      weights32_avx2(p, r * cols + c, n, blocks, w);
      for (int k = 0; k < 4; ++k) _mm256_maskstore_ps(o + c + 8 * k, first_lanes8(n - 8 * k), w[k]);
    }
  }
}

#define KICK_NF4_MATVEC(ISA)                                                                                             \
  void matvec_##ISA##_any(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, \
                          std::int64_t ldy) {                                                                          \
    with_token_count<7>(n_tokens, [&]<int T>() { matvec_##ISA<T>(p, r0, r1, x, y, ldy); });                                \
  }
KICK_NF4_MATVEC(avx512)
KICK_NF4_MATVEC(avx2)
#undef KICK_NF4_MATVEC

}  // namespace

nf4_kernels nf4_kernels_avx512() {
  if (!cpu_has_avx2_fma_f16c() || !__builtin_cpu_supports("avx512f")) return {};
  return {matvec_avx512_any, decode_avx512};
}

nf4_kernels nf4_kernels_avx2() {
  if (!cpu_has_avx2_fma_f16c()) return {};
  return {matvec_avx2_any, decode_avx2};
}

#else  // not x86-64

nf4_kernels nf4_kernels_avx512() { return {}; }
nf4_kernels nf4_kernels_avx2() { return {}; }

#endif

}  // namespace kick::cpu
