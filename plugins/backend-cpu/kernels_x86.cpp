// AVX-512 and AVX2 kernels, compiled with per-function target attributes so that the plugin
// itself needs no -march flag; each set is handed out only when the CPU reports its features.
#include <cstring>

#include "kernels.h"
#include "kick/convert.h"
#include "simd_x86.h"

namespace kick::cpu::detail {

#if KICK_SIMD_X86

namespace {

using simd::hsum16;
using simd::hsum8;

#define KICK_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#define KICK_AVX2 __attribute__((target("avx2,fma,f16c")))

// Reads a q8_0 block's f16 scale.
KICK_AVX2 inline float q8_scale(const std::byte* block) {
  std::uint16_t d;
  std::memcpy(&d, block, sizeof d);
  return _cvtsh_ss(d);
}

// Decode streams each weight row from memory once; the hardware prefetcher alone leaves the
// loads waiting (this 2-vCPU EPYC VM: about 30 GB/s without, near the read bandwidth with), so the
// dot products ask for the cache lines 8 KiB ahead (past a row's end: the next row's start).
using simd::k_prefetch_bytes;

template <int Lines>
inline void prefetch_ahead(const void* p) {
  for (int l = 0; l < Lines; ++l) _mm_prefetch(static_cast<const char*>(p) + k_prefetch_bytes + 64 * l, _MM_HINT_T0);
}

// ---- AVX-512: 16 lanes -------------------------------------------------------------------

KICK_AVX512 inline __m512 load16_f16(const std::uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
KICK_AVX512 inline __m512 load16_bf16(const std::uint16_t* p) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
KICK_AVX512 inline __m512 load16_i8(const std::byte* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// One dot-product loop for the element types that load 16 lanes at a time; four accumulators
// keep the FMA units busy, the tail runs scalar.
template <__m512 (*Load)(const std::uint16_t*), float (*Scalar)(std::uint16_t)>
KICK_AVX512 float dot16_avx512(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    prefetch_ahead<2>(a + i);
    acc0 = _mm512_fmadd_ps(Load(a + i), _mm512_loadu_ps(x + i), acc0);
    acc1 = _mm512_fmadd_ps(Load(a + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(Load(a + i + 32), _mm512_loadu_ps(x + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(Load(a + i + 48), _mm512_loadu_ps(x + i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(Load(a + i), _mm512_loadu_ps(x + i), acc0);
  float sum = hsum16(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += Scalar(a[i]) * x[i];
  return sum;
}

KICK_AVX512 float dot_f32_avx512(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const float*>(w);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    prefetch_ahead<4>(a + i);
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(x + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(x + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(x + i + 48), acc3);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(x + i), acc0);
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, x + i), acc1);
  }
  return hsum16(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

// Two blocks per iteration into separate accumulators: the block sums do not wait on each other.
KICK_AVX512 inline __m512 q8_block_avx512(const std::byte* blk, const float* xb, __m512 acc) {
  __m512 t = _mm512_mul_ps(load16_i8(blk + 2), _mm512_loadu_ps(xb));
  t = _mm512_fmadd_ps(load16_i8(blk + 18), _mm512_loadu_ps(xb + 16), t);
  return _mm512_fmadd_ps(_mm512_set1_ps(q8_scale(blk)), t, acc);
}

KICK_AVX512 float dot_q8_0_avx512(const void* w, const float* x, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const std::int64_t n_blocks = n / 32;
  std::int64_t b = 0;
  for (; b + 2 <= n_blocks; b += 2) {
    prefetch_ahead<2>(blocks + b * 34);  // 68 bytes per step
    acc0 = q8_block_avx512(blocks + b * 34, x + b * 32, acc0);
    acc1 = q8_block_avx512(blocks + (b + 1) * 34, x + (b + 1) * 32, acc1);
  }
  if (b < n_blocks) acc0 = q8_block_avx512(blocks + b * 34, x + b * 32, acc0);
  return hsum16(_mm512_add_ps(acc0, acc1));
}

KICK_AVX512 void dequant_f16_avx512(const void* w, float* out, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, load16_f16(a + i));
  for (; i < n; ++i) out[i] = _cvtsh_ss(a[i]);
}

KICK_AVX512 void dequant_bf16_avx512(const void* w, float* out, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, load16_bf16(a + i));
  for (; i < n; ++i) out[i] = bf16_to_f32(a[i]);
}

KICK_AVX512 void dequant_q8_0_avx512(const void* w, float* out, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::byte* blk = blocks + b * 34;
    const __m512 d = _mm512_set1_ps(q8_scale(blk));
    _mm512_storeu_ps(out + b * 32, _mm512_mul_ps(d, load16_i8(blk + 2)));
    _mm512_storeu_ps(out + b * 32 + 16, _mm512_mul_ps(d, load16_i8(blk + 18)));
  }
}

KICK_AVX512 void axpy_avx512(float a, const float* x, float* y, std::int64_t n) {
  const __m512 va = _mm512_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// ---- AVX2: 8 lanes -----------------------------------------------------------------------

KICK_AVX2 inline __m256 load8_f32(const float* p) { return _mm256_loadu_ps(p); }
KICK_AVX2 inline __m256 load8_f16(const std::uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
KICK_AVX2 inline __m256 load8_bf16(const std::uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
KICK_AVX2 inline __m256 load8_i8(const std::byte* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
inline float scalar_f32(float v) { return v; }
KICK_AVX2 inline float scalar_f16(std::uint16_t v) { return _cvtsh_ss(v); }
inline float scalar_bf16(std::uint16_t v) { return bf16_to_f32(v); }

template <class T, __m256 (*Load)(const T*), float (*Scalar)(T)>
KICK_AVX2 float dot8_avx2(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const T*>(w);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<static_cast<int>(32 * sizeof(T) / 64)>(a + i);
    acc0 = _mm256_fmadd_ps(Load(a + i), _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(Load(a + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(Load(a + i + 16), _mm256_loadu_ps(x + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(Load(a + i + 24), _mm256_loadu_ps(x + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(Load(a + i), _mm256_loadu_ps(x + i), acc0);
  float sum = hsum8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += Scalar(a[i]) * x[i];
  return sum;
}

KICK_AVX2 float dot_q8_0_avx2(const void* w, const float* x, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::byte* blk = blocks + b * 34;
    prefetch_ahead<1>(blk);  // 34 bytes per step
    const float* xb = x + b * 32;
    __m256 t0 = _mm256_mul_ps(load8_i8(blk + 2), _mm256_loadu_ps(xb));
    __m256 t1 = _mm256_mul_ps(load8_i8(blk + 10), _mm256_loadu_ps(xb + 8));
    t0 = _mm256_fmadd_ps(load8_i8(blk + 18), _mm256_loadu_ps(xb + 16), t0);
    t1 = _mm256_fmadd_ps(load8_i8(blk + 26), _mm256_loadu_ps(xb + 24), t1);
    const __m256 d = _mm256_set1_ps(q8_scale(blk));
    acc0 = _mm256_fmadd_ps(d, t0, acc0);
    acc1 = _mm256_fmadd_ps(d, t1, acc1);
  }
  return hsum8(_mm256_add_ps(acc0, acc1));
}

template <class T, __m256 (*Load)(const T*), float (*Scalar)(T)>
KICK_AVX2 void dequant8_avx2(const void* w, float* out, std::int64_t n) {
  const auto* a = static_cast<const T*>(w);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Load(a + i));
  for (; i < n; ++i) out[i] = Scalar(a[i]);
}

KICK_AVX2 void dequant_q8_0_avx2(const void* w, float* out, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::byte* blk = blocks + b * 34;
    const __m256 d = _mm256_set1_ps(q8_scale(blk));
    for (int j = 0; j < 4; ++j) _mm256_storeu_ps(out + b * 32 + j * 8, _mm256_mul_ps(d, load8_i8(blk + 2 + j * 8)));
  }
}

KICK_AVX2 void axpy_avx2(float a, const float* x, float* y, std::int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

void dequant_f32(const void* w, float* out, std::int64_t n) {
  std::memcpy(out, w, static_cast<std::size_t>(n) * sizeof(float));
}

constexpr int k_f32 = static_cast<int>(dtype::f32);
constexpr int k_f16 = static_cast<int>(dtype::f16);
constexpr int k_bf16 = static_cast<int>(dtype::bf16);
constexpr int k_q8_0 = static_cast<int>(dtype::q8_0);

kernel_set make_avx512() {
  kernel_set k;
  k.isa = "avx512f";
  k.dot[k_f32] = dot_f32_avx512;
  k.dot[k_f16] = dot16_avx512<load16_f16, scalar_f16>;
  k.dot[k_bf16] = dot16_avx512<load16_bf16, scalar_bf16>;
  k.dot[k_q8_0] = dot_q8_0_avx512;
  k.dequant[k_f32] = dequant_f32;
  k.dequant[k_f16] = dequant_f16_avx512;
  k.dequant[k_bf16] = dequant_bf16_avx512;
  k.dequant[k_q8_0] = dequant_q8_0_avx512;
  k.axpy = axpy_avx512;
  return k;
}

kernel_set make_avx2() {
  kernel_set k;
  k.isa = "avx2";
  k.dot[k_f32] = dot8_avx2<float, load8_f32, scalar_f32>;
  k.dot[k_f16] = dot8_avx2<std::uint16_t, load8_f16, scalar_f16>;
  k.dot[k_bf16] = dot8_avx2<std::uint16_t, load8_bf16, scalar_bf16>;
  k.dot[k_q8_0] = dot_q8_0_avx2;
  k.dequant[k_f32] = dequant_f32;
  k.dequant[k_f16] = dequant8_avx2<std::uint16_t, load8_f16, scalar_f16>;
  k.dequant[k_bf16] = dequant8_avx2<std::uint16_t, load8_bf16, scalar_bf16>;
  k.dequant[k_q8_0] = dequant_q8_0_avx2;
  k.axpy = axpy_avx2;
  return k;
}

}  // namespace

const kernel_set* avx512_kernels() {
  static const kernel_set k = make_avx512();
  return cpu_has_avx2_fma_f16c() && __builtin_cpu_supports("avx512f") ? &k : nullptr;
}

const kernel_set* avx2_kernels() {
  static const kernel_set k = make_avx2();
  return cpu_has_avx2_fma_f16c() ? &k : nullptr;
}

#else  // not x86-64

const kernel_set* avx512_kernels() { return nullptr; }
const kernel_set* avx2_kernels() { return nullptr; }

#endif

}  // namespace kick::cpu::detail

namespace kick::cpu {

#if defined(__x86_64__) && defined(__GNUC__)
bool cpu_has_avx2_fma_f16c() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#else
bool cpu_has_avx2_fma_f16c() { return false; }
#endif

}  // namespace kick::cpu
