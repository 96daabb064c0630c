// Portable kernels (vectorised by the compiler through `omp simd`) and the run-time choice of
// the best kernel set. The x86 sets live in kernels_x86.cpp.
#include "kernels.h"

#include <bit>
#include <cstring>

#include "kick/convert.h"

namespace kick::cpu {

namespace detail {
const kernel_set* avx512_kernels();  // nullptr when not compiled for x86-64
const kernel_set* avx2_kernels();
}  // namespace detail

namespace {

// f16 -> f32 without branches, so that loops over it vectorise. Exact like kick::f16_to_f32:
// normal numbers rebias the exponent, subnormals are mantissa * 2^-24, inf/NaN keep their
// payload.
inline float f16_to_f32_select(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t magnitude = h & 0x7fffu;
  const std::uint32_t special_mask = 0u - static_cast<std::uint32_t>(magnitude >= 0x7c00u);
  const std::uint32_t subnormal_mask = 0u - static_cast<std::uint32_t>(magnitude < 0x400u);
  // Exponent rebias 15 -> 127; infinities and NaN get another 112 to reach 255.
  const std::uint32_t wide = (magnitude << 13) + (112u << 23) + (special_mask & (112u << 23));
  const std::uint32_t subnormal = std::bit_cast<std::uint32_t>(static_cast<float>(static_cast<std::int32_t>(magnitude)) *
                                                               5.9604644775390625e-8f);  // 2^-24
  return std::bit_cast<float>(sign | (subnormal_mask & subnormal) | (~subnormal_mask & wide));
}

float dot_f32_generic(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const float*>(w);
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (std::int64_t i = 0; i < n; ++i) acc += a[i] * x[i];
  return acc;
}

float dot_f16_generic(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (std::int64_t i = 0; i < n; ++i) acc += f16_to_f32_select(a[i]) * x[i];
  return acc;
}

float dot_bf16_generic(const void* w, const float* x, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (std::int64_t i = 0; i < n; ++i) acc += bf16_to_f32(a[i]) * x[i];
  return acc;
}

float dot_q8_0_generic(const void* w, const float* x, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  float acc = 0.0f;
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::byte* block = blocks + b * 34;
    std::uint16_t d;
    std::memcpy(&d, block, sizeof d);
    const auto* q = reinterpret_cast<const signed char*>(block + 2);
    const float* xb = x + b * 32;
    float block_sum = 0.0f;
#pragma omp simd reduction(+ : block_sum)
    for (int i = 0; i < 32; ++i) block_sum += static_cast<float>(q[i]) * xb[i];
    acc += f16_to_f32_select(d) * block_sum;
  }
  return acc;
}

void dequant_f32_generic(const void* w, float* out, std::int64_t n) { dequantize_row(dtype::f32, w, out, n); }
void dequant_f16_generic(const void* w, float* out, std::int64_t n) {
  const auto* a = static_cast<const std::uint16_t*>(w);
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = f16_to_f32_select(a[i]);
}
void dequant_bf16_generic(const void* w, float* out, std::int64_t n) { dequantize_row(dtype::bf16, w, out, n); }
void dequant_q8_0_generic(const void* w, float* out, std::int64_t n) {
  const auto* blocks = static_cast<const std::byte*>(w);
  for (std::int64_t b = 0; b < n / 32; ++b) {
    std::uint16_t d;
    std::memcpy(&d, blocks + b * 34, sizeof d);
    const float scale = f16_to_f32_select(d);
    const auto* q = reinterpret_cast<const signed char*>(blocks + b * 34 + 2);
#pragma omp simd
    for (int i = 0; i < 32; ++i) out[b * 32 + i] = scale * static_cast<float>(q[i]);
  }
}

void axpy_generic(float a, const float* x, float* y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

kernel_set make_generic() {
  kernel_set k;
  k.isa = "generic";
  k.dot[static_cast<int>(dtype::f32)] = dot_f32_generic;
  k.dot[static_cast<int>(dtype::f16)] = dot_f16_generic;
  k.dot[static_cast<int>(dtype::bf16)] = dot_bf16_generic;
  k.dot[static_cast<int>(dtype::q8_0)] = dot_q8_0_generic;
  k.dequant[static_cast<int>(dtype::f32)] = dequant_f32_generic;
  k.dequant[static_cast<int>(dtype::f16)] = dequant_f16_generic;
  k.dequant[static_cast<int>(dtype::bf16)] = dequant_bf16_generic;
  k.dequant[static_cast<int>(dtype::q8_0)] = dequant_q8_0_generic;
  k.axpy = axpy_generic;
  return k;
}

const kernel_set* generic_kernels() {
  static const kernel_set k = make_generic();
  return &k;
}

}  // namespace

const kernel_set& best_kernels() {
  static const kernel_set* const best = [] {
    if (const kernel_set* k = detail::avx512_kernels()) return k;
    if (const kernel_set* k = detail::avx2_kernels()) return k;
    return generic_kernels();
  }();
  return *best;
}

const kernel_set* find_kernels(std::string_view isa) {
  if (isa == "avx512f") return detail::avx512_kernels();
  if (isa == "avx2") return detail::avx2_kernels();
  if (isa == "generic") return generic_kernels();
  return nullptr;
}

}  // namespace kick::cpu
