// Matrix-vector kernels of LLM.int8()-style layers (kick::int8_outlier_layout), one per
// instruction set: 32 int8 weights at a time are widened to f32 in registers and multiply-added
// into every token's accumulator; the row scale multiplies the finished sum, and the few outlier
// columns are corrected afterwards.
#pragma once

#include <cstdint>

namespace kick::cpu {

// W[r][c] = outlier_values[r * n_outliers + k] if c == outlier_cols[k], else q[r * n_cols + c] * row_scale[r].
struct int8_plan {
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  const std::int8_t* q = nullptr;          // [n_rows, n_cols]
  const float* row_scale = nullptr;        // [n_rows]
  std::int64_t n_outliers = 0;
  const std::int32_t* outlier_cols = nullptr;  // [n_outliers]
  const float* outlier_values = nullptr;   // [n_rows, n_outliers]
};

constexpr std::int64_t k_int8_max_tokens = 7;

// What row r's outlier columns add to scale * sum_c q x: their value minus what the int8 part
// counted there (q is 0 there in a well-formed layout, but the meaning does not rely on it).
inline float int8_outlier_correction(const int8_plan& p, std::int64_t r, const float* x) {
  float sum = 0.0f;
  for (std::int64_t k = 0; k < p.n_outliers; ++k) {
    const std::int64_t c = p.outlier_cols[k];
    sum += (p.outlier_values[r * p.n_outliers + k] - static_cast<float>(p.q[r * p.n_cols + c]) * p.row_scale[r]) * x[c];
  }
  return sum;
}

// Overwrites the outlier columns of a decoded row r.
inline void int8_write_outliers(const int8_plan& p, std::int64_t r, float* row) {
  for (std::int64_t k = 0; k < p.n_outliers; ++k) row[p.outlier_cols[k]] = p.outlier_values[r * p.n_outliers + k];
}

// y[t * ldy + r] = sum_c W[r][c] * x[t * n_cols + c] for r in [r0, r1), t < n_tokens (1..7).
using int8_matvec_fn = void (*)(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                                std::int64_t ldy);
// out[(r - r0) * n_cols + c] = W[r][c], bit for bit what kick::densify_row computes.
using int8_decode_fn = void (*)(const int8_plan& p, std::int64_t r0, std::int64_t r1, float* out);

struct int8_kernels {
  int8_matvec_fn matvec = nullptr;
  int8_decode_fn decode = nullptr;
};

// The x86 sets (the portable one lives in linear_int8_outlier.cpp); empty when the CPU lacks the
// instructions or the code was not compiled for x86-64.
int8_kernels int8_kernels_avx512();
int8_kernels int8_kernels_avx2();

}  // namespace kick::cpu
