// Vector kernels of the CPU backend: dot products of one stored weight row with an f32 vector,
// and row dequantisation to f32, for every storage dtype. One set per instruction set, chosen
// once at run time (AVX-512, AVX2+FMA+F16C, or portable code vectorised with `omp simd`).
#pragma once

#include <cstdint>
#include <string_view>

#include "kick/tensor.h"

namespace kick::cpu {

// Dot product of n stored weights at `w` with n floats at `x`. For q8_0, n is a whole number
// of 32-element blocks and `w` points at the first block.
using dot_fn = float (*)(const void* w, const float* x, std::int64_t n);
// Converts n stored weights at `w` into f32 at `out` (same block rule as dot_fn).
using dequant_fn = void (*)(const void* w, float* out, std::int64_t n);
// y[i] += a * x[i] for i < n.
using axpy_fn = void (*)(float a, const float* x, float* y, std::int64_t n);

struct kernel_set {
  const char* isa = "generic";  // "avx512f", "avx2" or "generic"
  dot_fn dot[4] = {};           // indexed by dtype
  dequant_fn dequant[4] = {};
  axpy_fn axpy = nullptr;

  float dot_row(dtype type, const void* w, const float* x, std::int64_t n) const {
    return dot[static_cast<int>(type)](w, x, n);
  }
  void dequant_row(dtype type, const void* w, float* out, std::int64_t n) const {
    dequant[static_cast<int>(type)](w, out, n);
  }
};

// AVX2 + FMA + F16C: what every AVX2 kernel of this backend (and, with AVX-512F, every AVX-512
// kernel) needs; false off x86-64.
bool cpu_has_avx2_fma_f16c();

// The best kernel set this CPU supports.
const kernel_set& best_kernels();

// The set named `isa` ("avx512f", "avx2", "generic"), or nullptr when the name is unknown or
// this CPU lacks the instructions. Lets tests exercise every set the machine can run.
const kernel_set* find_kernels(std::string_view isa);

}  // namespace kick::cpu
