#include "matmul.h"

#include <algorithm>
#include <cblas.h>
#include <omp.h>

namespace kick::cpu {

compute_context::compute_context(const kernel_set& kernels, int n_threads, std::int64_t max_cols)
    : kernels_(&kernels), n_threads_(n_threads), scratch_floats_(std::max(k_scratch_floats, max_cols)) {
  for (int i = 0; i < n_threads; ++i) {
    scratch_.push_back(std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(scratch_floats_)));
  }
}

blas_single_thread_scope::blas_single_thread_scope() : previous_(openblas_get_num_threads()) {
  if (previous_ != 1) openblas_set_num_threads(1);
}

blas_single_thread_scope::~blas_single_thread_scope() {
  if (previous_ != 1) openblas_set_num_threads(previous_);
}

namespace {

// Multiply-adds below which a product runs on the calling thread: waking the team would cost
// more than the work.
constexpr std::int64_t k_parallel_min_work = std::int64_t{1} << 16;

void matvec(const tensor_view& w, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy, compute_context& ctx) {
  const std::int64_t n_rows = w.n_rows();
  const std::int64_t n_cols = w.n_cols();
  const dot_fn dot = ctx.kernels().dot[static_cast<int>(w.type)];
  const bool parallel = n_rows * n_cols * n_tokens >= k_parallel_min_work;
  // Rows in chunks of 16 so that neighbouring threads rarely share a cache line of y.
#pragma omp parallel for num_threads(ctx.n_threads()) schedule(static, 16) if (parallel)
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const std::byte* row = w.row(r);
    for (std::int64_t t = 0; t < n_tokens; ++t) y[t * ldy + r] = dot(row, x + t * n_cols, n_cols);
  }
}

void gemm(const tensor_view& w, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy, compute_context& ctx) {
  const std::int64_t n_rows = w.n_rows();
  const std::int64_t n_cols = w.n_cols();
  const bool in_place = w.type == dtype::f32;
  const dequant_fn dequant = ctx.kernels().dequant[static_cast<int>(w.type)];
  // Enough blocks to balance threads, each small enough for the scratch (and the L2 cache).
  const std::int64_t scratch_rows = std::max<std::int64_t>(1, ctx.scratch_floats() / n_cols);
  const std::int64_t balanced_rows = (n_rows + 4 * ctx.n_threads() - 1) / (4 * ctx.n_threads());
  const std::int64_t block_rows = std::clamp<std::int64_t>(balanced_rows, 1, scratch_rows);
  const std::int64_t n_blocks = (n_rows + block_rows - 1) / block_rows;
  const bool parallel = n_rows * n_cols * n_tokens >= k_parallel_min_work;
#pragma omp parallel for num_threads(ctx.n_threads()) schedule(dynamic) if (parallel)
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const std::int64_t r0 = b * block_rows;
    const std::int64_t rows = std::min(block_rows, n_rows - r0);
    const float* a = nullptr;
    std::int64_t lda = n_cols;
    if (in_place) {
      a = reinterpret_cast<const float*>(w.row(r0));
      lda = w.row_stride_bytes() / static_cast<std::int64_t>(sizeof(float));
    } else {
      float* scratch = ctx.scratch(omp_get_thread_num());
      for (std::int64_t r = 0; r < rows; ++r) dequant(w.row(r0 + r), scratch + r * n_cols, n_cols);
      a = scratch;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n_tokens), static_cast<int>(rows),
                static_cast<int>(n_cols), 1.0f, x, static_cast<int>(n_cols), a, static_cast<int>(lda), 0.0f, y + r0,
                static_cast<int>(ldy));
  }
}

}  // namespace

void matmul(const tensor_view& w, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy, compute_context& ctx) {
  if (n_tokens < k_gemm_min_tokens) {
    matvec(w, x, n_tokens, y, ldy, ctx);
  } else {
    gemm(w, x, n_tokens, y, ldy, ctx);
  }
}

}  // namespace kick::cpu
