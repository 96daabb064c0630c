// Preparing a layer's Hessian for the OBS updates of SparseGPT and GPTQ, exactly in the
// references' order (compression_refs.md §1 steps 2-4, §4.2 steps 2 and 5, §9 dead columns):
//   1. dead inputs: diag(H) == 0  ->  H[d,d] = 1 and W[:, d] = 0   (before damping)
//   2. damping:     H[i,i] += percdamp * mean(diag(H))
//   3. L = cholesky(H); H^-1 = cholesky_inverse(L); U = cholesky(H^-1, upper)   (H^-1 = U^T U)
// All in float32, with OpenBLAS's LAPACK (spotrf/spotri). bench-methods measured this against
// Eigen's LLT for n = 4096 (see bench/bench_methods.cpp); LAPACK was faster.
#pragma once

#include <cstdint>
#include <string>

#include "kick/formats.h"
#include "kick/status.h"

namespace kick::methods {

// Fails with failed_precondition naming the first non-finite entry of `what` ("weight", "hessian").
status check_finite(const char* what, const float* data, std::int64_t n_rows, std::int64_t n_cols, std::int64_t row_stride);

// Step 1. h is [n, n] row-major with n == w.n_cols; returns the number of dead inputs.
std::int64_t zero_dead_inputs(float* h, std::int64_t n, const matrix_f32& w);

// Steps 2-3 in place: on success h holds U row-major (upper triangle; the strict lower triangle
// is set to 0). A matrix that is not positive definite fails with failed_precondition naming
// percdamp and the leading minor.
status damp_and_invert_upper(float* h, std::int64_t n, double percdamp);

// The damping term percdamp * mean(diag(h)) in float32 (the mean accumulated in double).
float damping_term(const float* h, std::int64_t n, double percdamp);

}  // namespace kick::methods

namespace kick::methods {

// The lazy inter-block update of SparseGPT/GPTQ: W[:, i2:] -= Err1 @ U[i1:i2, i2:] (one sgemm).
// w: [n_rows, n] with row stride w_stride; err: [n_rows, i2 - i1] contiguous; u: [n, n] row-major.
void apply_lazy_update(float* w, std::int64_t w_stride, std::int64_t n_rows, std::int64_t n, const float* err,
                       const float* u, std::int64_t i1, std::int64_t i2);

}  // namespace kick::methods
