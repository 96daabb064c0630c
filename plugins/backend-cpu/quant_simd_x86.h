// x86 vector helpers shared by the quantized-layer kernels (group-quant, NF4, int8 + outliers):
// the per-function target attributes and step helpers (the intrinsics and horizontal sums come
// from simd_x86.h). Every function carries its target, so the files that include this need no
// -march flag.
#pragma once

#include <cstdint>

#include "simd_x86.h"
#if KICK_SIMD_X86

#define KICK_Q_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#define KICK_Q_AVX2 __attribute__((target("avx2,fma,f16c")))
// Step helpers are inlined into their kernel loops (out of line, their vectors pass through memory).
#define KICK_Q_INLINE inline __attribute__((always_inline))

namespace kick::cpu::quant_simd {

using simd::hsum16;
using simd::hsum8;

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
