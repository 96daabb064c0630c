#include "linear_int8_outlier.h"

#include <cmath>
#include <string>
#include <string_view>

#include "int8_outlier_kernels.h"
#include "kick/format_codec.h"
#include "token_dispatch.h"

namespace kick::cpu {

namespace {

// ---- portable kernels: 32 columns at a time, `omp simd` loops ---------------------------------

template <int NT>
void matvec_generic(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    float acc[NT][32] = {};
    const std::int8_t* row = p.q + r * cols;
    std::int64_t c = 0;
    for (; c + 32 <= cols; c += 32) {
      float w[32];
#pragma omp simd
      for (std::int64_t i = 0; i < 32; ++i) w[i] = static_cast<float>(row[c + i]);
      for (int t = 0; t < NT; ++t) {
        const float* xt = x + t * cols + c;
#pragma omp simd
        for (std::int64_t i = 0; i < 32; ++i) acc[t][i] += w[i] * xt[i];
      }
    }
    for (; c < cols; ++c) {
      for (int t = 0; t < NT; ++t) acc[t][c % 32] += static_cast<float>(row[c]) * x[t * cols + c];
    }
    for (int t = 0; t < NT; ++t) {
      float v = 0.0f;
#pragma omp simd reduction(+ : v)
      for (std::int64_t i = 0; i < 32; ++i) v += acc[t][i];
      y[t * ldy + r] = p.row_scale[r] * v + int8_outlier_correction(p, r, x + t * cols);
    }
  }
}

void matvec_generic_any(const int8_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                        std::int64_t ldy) {
  with_token_count<7>(n_tokens, [&]<int T>() { matvec_generic<T>(p, r0, r1, x, y, ldy); });
}

void decode_generic(const int8_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::int8_t* row = p.q + r * p.n_cols;
    float* o = out + (r - r0) * p.n_cols;
    const float s = p.row_scale[r];
#pragma omp simd
    for (std::int64_t c = 0; c < p.n_cols; ++c) o[c] = static_cast<float>(row[c]) * s;
    int8_write_outliers(p, r, o);
  }
}

int8_kernels kernels_for(std::string_view isa) {
  if (isa == "avx512f") return int8_kernels_avx512();
  if (isa == "avx2") return int8_kernels_avx2();
  return {matvec_generic_any, decode_generic};
}

class int8_outlier_linear final : public compressed_linear {
 public:
  int8_outlier_linear(const compressed_weight& w, const kernel_set& kernels, int8_kernels k)
      : compressed_linear(w), isa_(kernels.isa), kernels_(k) {
    const auto& l = std::get<int8_outlier_layout>(w.layout);
    plan_.n_rows = w.n_rows;
    plan_.n_cols = w.n_cols;
    plan_.q = l.q.data();
    plan_.row_scale = l.row_scale.data();
    plan_.n_outliers = static_cast<std::int64_t>(l.outlier_cols.size());
    plan_.outlier_cols = l.outlier_cols.data();
    plan_.outlier_values = l.outlier_values.data();
  }

  std::int64_t bytes() const override {
    return layout_bytes();
  }

  std::string kernel_name() const override { return "int8-outlier " + isa_; }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* /*scratch*/) const override {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += k_int8_max_tokens) {
      const std::int64_t nt = n_tokens - t0 < k_int8_max_tokens ? n_tokens - t0 : k_int8_max_tokens;
      kernels_.matvec(plan_, r0, r1, x + t0 * n_cols(), nt, y + t0 * ldy, ldy);
    }
  }

  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override { kernels_.decode(plan_, r0, r1, out); }

 private:
  std::string isa_;
  int8_kernels kernels_;
  int8_plan plan_;
};

}  // namespace

std::unique_ptr<compressed_linear> make_int8_outlier_linear(const compressed_weight& w, const kernel_set& kernels) {
  const int8_kernels k = kernels_for(kernels.isa);
  if (k.matvec == nullptr) return nullptr;
  return std::make_unique<int8_outlier_linear>(w, kernels, k);
}

}  // namespace kick::cpu
