// kick plugin API: conversions between the weight storage types and f32.
// Header-only so that every backend and method plugin reads tensor_views the same way.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kick/tensor.h"

namespace kick {

// IEEE 754 binary16 -> binary32, exact (subnormals, infinities and NaN included).
inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: renormalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// binary32 -> binary16 with round-to-nearest-even; overflow gives infinity.
inline std::uint16_t f32_to_f16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (abs < 0x38800000u) {  // result is subnormal or zero
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);
    const std::uint32_t e = abs >> 23;
    const std::uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126u - e;  // 14 + (113 - e) - 1 ... value = m >> (shift)
    std::uint32_t half = m >> (shift);
    const std::uint32_t rest = m & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t h = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

inline float bf16_to_f32(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

// Round-to-nearest-even; NaN stays NaN.
inline std::uint16_t f32_to_bf16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// q8_0 block: f16 scale d, then 32 int8 q; value = d * q.
struct block_q8_0 {
  std::uint16_t d;
  std::int8_t q[32];
};
static_assert(sizeof(block_q8_0) == 34);

// Converts n elements of one row of type `type` at `src` into f32. n must be a whole number of blocks.
inline void dequantize_row(dtype type, const void* src, float* dst, std::int64_t n) {
  switch (type) {
    case dtype::f32:
      std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
      return;
    case dtype::f16: {
      const auto* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case dtype::bf16: {
      const auto* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case dtype::q8_0: {
      const auto* blocks = static_cast<const std::byte*>(src);
      for (std::int64_t b = 0; b < n / 32; ++b) {
        block_q8_0 blk;
        std::memcpy(&blk, blocks + b * 34, sizeof blk);
        const float d = f16_to_f32(blk.d);
        for (int i = 0; i < 32; ++i) dst[b * 32 + i] = d * static_cast<float>(blk.q[i]);
      }
      return;
    }
  }
}

// Converts n f32 values into one row of `type` (q8_0 as GGML quantizes it: d = max|x| / 127).
inline void quantize_row(dtype type, const float* src, void* dst, std::int64_t n) {
  switch (type) {
    case dtype::f32:
      std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
      return;
    case dtype::f16: {
      auto* d = static_cast<std::uint16_t*>(dst);
      for (std::int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
      return;
    }
    case dtype::bf16: {
      auto* d = static_cast<std::uint16_t*>(dst);
      for (std::int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case dtype::q8_0: {
      auto* out = static_cast<std::byte*>(dst);
      for (std::int64_t b = 0; b < n / 32; ++b) {
        const float* x = src + b * 32;
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
        const float d = amax / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        block_q8_0 blk;
        blk.d = f32_to_f16(d);
        for (int i = 0; i < 32; ++i) blk.q[i] = static_cast<std::int8_t>(std::lround(x[i] * inv));
        std::memcpy(out + b * 34, &blk, sizeof blk);
      }
      return;
    }
  }
}

}  // namespace kick
