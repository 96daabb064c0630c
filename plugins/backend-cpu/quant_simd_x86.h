// x86 vector helpers shared by the quantized-layer kernels (group-quant, NF4, int8 + outliers):
// the intrinsics include, the per-function target attributes and horizontal sums. Every function
// carries its target, so the files that include this need no -march flag.
#pragma once

#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which its middle end reports as
// -Wuninitialized at every inlined use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define KICK_QUANT_X86 1

#define KICK_Q_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#define KICK_Q_AVX2 __attribute__((target("avx2,fma,f16c")))
// Step helpers are inlined into their kernel loops (out of line, their vectors pass through memory).
#define KICK_Q_INLINE inline __attribute__((always_inline))

namespace kick::cpu::quant_simd {

// Horizontal sum by folding halves (GCC 12's _mm512_reduce_add_ps warns -Wuninitialized).
KICK_Q_AVX512 inline float hsum16(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

KICK_Q_AVX2 inline float hsum8(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}

// Lanes [0, n) set (none for n <= 0, all for n >= 16).
inline __mmask16 first_lanes16(std::int64_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1u);
}

// An AVX2 lane mask with lanes [0, n) all-ones (none for n <= 0, all for n >= 8) (for maskload/maskstore).
KICK_Q_AVX2 inline __m256i first_lanes8(std::int64_t n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 8 ? n : 8)), lane);
}

}  // namespace kick::cpu::quant_simd

#endif
