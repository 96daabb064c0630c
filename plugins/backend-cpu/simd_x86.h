// What every x86 kernel file of this backend shares: the intrinsics include (with GCC 12's
// spurious warnings silenced) and the horizontal sums. Functions carry their own target
// attribute, so no -march flag is needed; callers with a wider target inline them.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which its middle end reports as
// -Wuninitialized at every inlined use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define KICK_SIMD_X86 1

#include <cstdint>

namespace kick::cpu::simd {

// How far ahead of its reads a decode kernel prefetches the weights it streams, in bytes of that
// stream (measured best of 1-16 KiB on the development machine; the hardware prefetcher alone
// leaves loads waiting). Decode reads every weight once and a thread's rows one after the other,
// so past a row's end the address is the next row's start; an address past a layer is harmless
// (a prefetch does not fault).
constexpr std::int64_t k_prefetch_bytes = 8192;

// Horizontal sum by folding halves (GCC 12's _mm512_reduce_add_ps warns -Wuninitialized).
__attribute__((target("avx512f"))) inline float hsum16(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

__attribute__((target("avx2"))) inline float hsum8(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}

}  // namespace kick::cpu::simd

#endif
