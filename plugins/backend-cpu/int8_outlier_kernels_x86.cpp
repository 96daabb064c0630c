// AVX-512 and AVX2 kernels of int8 + outlier layers: bytes sign-extended to 32-bit lanes and
// converted to f32, 32 columns per step; the last partial step reads a zeroed copy.
#include <cstring>

#include "int8_outlier_kernels.h"
#include "quant_simd_x86.h"
#include "kernels.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

using namespace quant_simd;

using simd::k_prefetch_bytes;

// The row's bytes from column c: in place for a whole step, else a zeroed copy of the n left.
inline const std::int8_t* step_bytes(const std::int8_t* row, std::int64_t c, std::int64_t n, std::int8_t* buf) {
  if (n == 32) return row + c;
  std::memset(buf, 0, 32);
  std::memcpy(buf, row + c, static_cast<std::size_t>(n));
  return buf;
}

// ---- AVX-512 --------------------------------------------------------------------------------

KICK_Q_AVX512 KICK_Q_INLINE __m512 load16_i8(const std::int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

template <int NT>
KICK_Q_AVX512 void matvec_avx512(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    // Four accumulators per token in steps of 64 columns, so that one token's FMA latency does not
    // bound the step; the rows stream from memory, prefetched 8 KiB ahead.
    __m512 acc0[NT], acc1[NT], acc2[NT], acc3[NT];
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = acc2[t] = acc3[t] = _mm512_setzero_ps();
    const std::int8_t* row = p.q + r * cols;
    std::int64_t c = 0;
    for (; c + 64 <= cols; c += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + c) + k_prefetch_bytes, _MM_HINT_T0);
      const __m512 w0 = load16_i8(row + c), w1 = load16_i8(row + c + 16), w2 = load16_i8(row + c + 32), w3 = load16_i8(row + c + 48);
      for (int t = 0; t < NT; ++t) {
        const float* xt = x + t * cols + c;
        acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xt), acc0[t]);
        acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xt + 16), acc1[t]);
        acc2[t] = _mm512_fmadd_ps(w2, _mm512_loadu_ps(xt + 32), acc2[t]);
        acc3[t] = _mm512_fmadd_ps(w3, _mm512_loadu_ps(xt + 48), acc3[t]);
      }
    }
    for (; c + 32 <= cols; c += 32) {
      const __m512 w0 = load16_i8(row + c), w1 = load16_i8(row + c + 16);
      for (int t = 0; t < NT; ++t) {
        acc0[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + t * cols + c), acc0[t]);
        acc1[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + t * cols + c + 16), acc1[t]);
      }
    }
    if (c < cols) {
      alignas(32) std::int8_t buf[32];
      const std::int64_t n = cols - c;
      const std::int8_t* b = step_bytes(row, c, n, buf);
      const __m512 w0 = load16_i8(b), w1 = load16_i8(b + 16);
      const __mmask16 m0 = first_lanes16(n), m1 = first_lanes16(n - 16);
      for (int t = 0; t < NT; ++t) {
        acc0[t] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m0, x + t * cols + c), acc0[t]);
        acc1[t] = _mm512_fmadd_ps(w1, _mm512_maskz_loadu_ps(m1, x + t * cols + c + 16), acc1[t]);
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float* xt = x + t * cols;
      const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc0[t], acc1[t]), _mm512_add_ps(acc2[t], acc3[t]));
      y[t * ldy + r] = p.row_scale[r] * hsum16(sum) + int8_outlier_correction(p, r, xt);
    }
  }
}

KICK_Q_AVX512 void decode_avx512(const int8_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::int8_t* row = p.q + r * cols;
    float* o = out + (r - r0) * cols;
    const __m512 s = _mm512_set1_ps(p.row_scale[r]);
    for (std::int64_t c = 0; c < cols; c += 32) {
      alignas(32) std::int8_t buf[32];
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      const std::int8_t* b = step_bytes(row, c, n, buf);
      _mm512_mask_storeu_ps(o + c, first_lanes16(n), _mm512_mul_ps(load16_i8(b), s));
      _mm512_mask_storeu_ps(o + c + 16, first_lanes16(n - 16), _mm512_mul_ps(load16_i8(b + 16), s));
    }
    int8_write_outliers(p, r, o);
  }
}

// ---- AVX2 -----------------------------------------------------------------------------------

KICK_Q_AVX2 KICK_Q_INLINE __m256 load8_i8(const std::int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

template <int NT>
KICK_Q_AVX2 void matvec_avx2(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    __m256 acc0[NT], acc1[NT];
    for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
    const std::int8_t* row = p.q + r * cols;
    for (std::int64_t c = 0; c < cols; c += 32) {
      alignas(32) std::int8_t buf[32];
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      if (c % 64 == 0) _mm_prefetch(reinterpret_cast<const char*>(row + c) + k_prefetch_bytes, _MM_HINT_T0);  // rows stream from memory
      const std::int8_t* b = step_bytes(row, c, n, buf);
      __m256 w[4];
      for (int k = 0; k < 4; ++k) w[k] = load8_i8(b + 8 * k);
      if (n == 32) {
        for (int t = 0; t < NT; ++t) {
          const float* xt = x + t * cols + c;
          acc0[t] = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(xt), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[1], _mm256_loadu_ps(xt + 8), acc1[t]);
          acc0[t] = _mm256_fmadd_ps(w[2], _mm256_loadu_ps(xt + 16), acc0[t]);
          acc1[t] = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(xt + 24), acc1[t]);
        }
      } else {
        for (int k = 0; k < 4; ++k) {
          const __m256i m = first_lanes8(n - 8 * k);
          for (int t = 0; t < NT; ++t) acc0[t] = _mm256_fmadd_ps(w[k], _mm256_maskload_ps(x + t * cols + c + 8 * k, m), acc0[t]);
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      const float* xt = x + t * cols;
      y[t * ldy + r] = p.row_scale[r] * hsum8(_mm256_add_ps(acc0[t], acc1[t])) + int8_outlier_correction(p, r, xt);
    }
  }
}

KICK_Q_AVX2 void decode_avx2(const int8_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::int8_t* row = p.q + r * cols;
    float* o = out + (r - r0) * cols;
    const __m256 s = _mm256_set1_ps(p.row_scale[r]);
    for (std::int64_t c = 0; c < cols; c += 32) {
      alignas(32) std::int8_t buf[32];
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      const std::int8_t* b = step_bytes(row, c, n, buf);
      for (int k = 0; k < 4; ++k) _mm256_maskstore_ps(o + c + 8 * k, first_lanes8(n - 8 * k), _mm256_mul_ps(load8_i8(b + 8 * k), s));
    }
    int8_write_outliers(p, r, o);
  }
}

#define KICK_INT8_MATVEC(ISA)                                                                                              \
  void matvec_##ISA##_any(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, \
                          std::int64_t ldy) {                                                                            \
    with_token_count<7>(n_tokens, [&]<int T>() { matvec_##ISA<T>(p, r0, r1, x, y, ldy); });                                \
  }
KICK_INT8_MATVEC(avx512)
KICK_INT8_MATVEC(avx2)
#undef KICK_INT8_MATVEC

}  // namespace

int8_kernels int8_kernels_avx512() {
  if (!cpu_has_avx2_fma_f16c() || !__builtin_cpu_supports("avx512f")) return {};
  return {matvec_avx512_any, decode_avx512};
}

int8_kernels int8_kernels_avx2() {
  if (!cpu_has_avx2_fma_f16c()) return {};
  return {matvec_avx2_any, decode_avx2};
}

#else  // not x86-64

int8_kernels int8_kernels_avx512() { return {}; }
int8_kernels int8_kernels_avx2() { return {}; }

#endif

}  // namespace kick::cpu
