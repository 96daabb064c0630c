#include "hessian_prep.h"

#include <cmath>

#include "kick/format_codec.h"

// LAPACK (Fortran) symbols from OpenBLAS, declared here so that no lapacke header is needed.
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
void spotri_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
}

namespace kick::methods {

status check_finite(const char* what, const float* data, std::int64_t n_rows, std::int64_t n_cols, std::int64_t row_stride) {
  for (std::int64_t r = 0; r < n_rows; ++r)
    for (std::int64_t c = 0; c < n_cols; ++c)
      if (!std::isfinite(data[r * row_stride + c]))
        return fail(status_code::failed_precondition,
                    detail::format("{} holds a non-finite value ({}) at [{}, {}]", what, data[r * row_stride + c], r, c));
  return {};
}

std::int64_t zero_dead_inputs(float* h, std::int64_t n, const matrix_f32& w) {
  std::int64_t dead = 0;
  for (std::int64_t d = 0; d < n; ++d) {
    if (h[d * n + d] != 0.0f) continue;
    ++dead;
    h[d * n + d] = 1.0f;
    for (std::int64_t r = 0; r < w.n_rows; ++r) w.row(r)[d] = 0.0f;
  }
  return dead;
}

float damping_term(const float* h, std::int64_t n, double percdamp) {
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += h[i * n + i];
  // torch: percdamp (a Python float) * mean(diag) (a float32 tensor) is computed in float32.
  return static_cast<float>(percdamp) * static_cast<float>(sum / static_cast<double>(n));
}

status damp_and_invert_upper(float* h, std::int64_t n, double percdamp) {
  if (n <= 0 || n > (1ll << 30)) return fail(status_code::invalid_argument, detail::format("hessian size {} out of range", n));
  const float damp = damping_term(h, n, percdamp);
  for (std::int64_t i = 0; i < n; ++i) h[i * n + i] += damp;
  // The row-major buffer read as column-major is the same symmetric matrix, so 'L' below works on
  // the row-major upper triangle. Cholesky factors are unique, so the column-major lower factor
  // L2 of H^-1 read row-major is U = L2^T, the upper factor torch's cholesky(upper=True) returns.
  const int dim = static_cast<int>(n);
  int info = 0;
  spotrf_("L", &dim, h, &dim, &info, 1);
  if (info > 0)
    return fail(status_code::failed_precondition,
                detail::format("hessian not positive definite after percdamp {} (leading minor {}); raise percdamp", percdamp, info));
  if (info < 0) return fail(status_code::internal, detail::format("spotrf argument {} invalid", -info));
  spotri_("L", &dim, h, &dim, &info, 1);
  if (info != 0)
    return fail(status_code::failed_precondition,
                detail::format("hessian singular after percdamp {} (pivot {}); raise percdamp", percdamp, info));
  spotrf_("L", &dim, h, &dim, &info, 1);
  if (info != 0)
    return fail(status_code::failed_precondition,
                detail::format("inverse hessian not positive definite after percdamp {} (leading minor {}); raise percdamp",
                               percdamp, info));
  for (std::int64_t r = 1; r < n; ++r)
    for (std::int64_t c = 0; c < r; ++c) h[r * n + c] = 0.0f;
  return {};
}

}  // namespace kick::methods

#include <cblas.h>

namespace kick::methods {

void apply_lazy_update(float* w, std::int64_t w_stride, std::int64_t n_rows, std::int64_t n, const float* err,
                       const float* u, std::int64_t i1, std::int64_t i2) {
  if (i2 >= n || n_rows == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n_rows), static_cast<int>(n - i2),
              static_cast<int>(i2 - i1), -1.0f, err, static_cast<int>(i2 - i1), u + i1 * n + i2, static_cast<int>(n), 1.0f,
              w + i2, static_cast<int>(w_stride));
}

}  // namespace kick::methods
