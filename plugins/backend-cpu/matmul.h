// Linear layers: y = x W^T for a stored weight W [n_out, n_in] and f32 activations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "compressed_linear.h"
#include "kernels.h"
#include "kick/tensor.h"
#include "thread_pool.h"

namespace kick::cpu {

// Threads, kernels and per-thread scratch shared by the compute steps of one runner.
class compute_context {
 public:
  // Scratch holds max(k_scratch_floats, max_cols) floats per thread, max_cols being the widest
  // weight row the runner multiplies.
  compute_context(const kernel_set& kernels, int n_threads, std::int64_t max_cols);

  const kernel_set& kernels() const { return *kernels_; }
  int n_threads() const { return pool_.n_threads(); }
  // The runner's threads; thread numbers below index the scratch.
  thread_pool& pool() { return pool_; }
  // scratch_floats() floats private to thread `thread` of pool().
  float* scratch(int thread) { return scratch_[static_cast<std::size_t>(thread)].get(); }
  std::int64_t scratch_floats() const { return scratch_floats_; }
  // At least `floats` floats private to thread `thread` for prefill's converted row blocks: the
  // scratch when it is large enough, else a buffer kept (and grown) for that thread.
  float* gemm_scratch(int thread, std::int64_t floats);
  // A 64-byte aligned buffer of at least `bytes` for the prepared input of job `job` of a group
  // (compressed_linear::prepare_input), kept for the next product.
  std::byte* prepared_input(std::size_t job, std::int64_t bytes);

  static constexpr std::int64_t k_scratch_floats = std::int64_t{1} << 18;  // 1 MiB per thread

 private:
  const kernel_set* kernels_;
  thread_pool pool_;
  std::int64_t scratch_floats_;
  std::vector<std::unique_ptr<float[]>> scratch_;
  std::vector<std::vector<std::byte>> prepared_;
  std::vector<std::vector<float>> gemm_scratch_;
};

// A linear layer's weight: a dense tensor read in place in its dtype, or a compressed layer
// executed in its own format.
struct linear_ref {
  const tensor_view* dense = nullptr;
  const compressed_linear* compressed = nullptr;
  std::int64_t n_rows() const { return dense != nullptr ? dense->n_rows() : compressed->n_rows(); }
  std::int64_t n_cols() const { return dense != nullptr ? dense->n_cols() : compressed->n_cols(); }
};

// One product of a group: y[t * ldy + r] = sum_c w[r, c] * x[t * w.n_cols() + c].
struct linear_job {
  linear_ref w;
  float* y;
  std::int64_t ldy;
};

// Computes every job of the group for t < n_tokens and r < w.n_rows(), all jobs reading the same
// x (so their weights have the same n_cols), in one loop of the thread pool: Q/K/V or gate/up need one
// hand-out and join instead of several. Few tokens: a threaded matrix-vector product over rows that
// converts weights on the fly and reads each row once for all tokens (compressed layers: their
// own matvec kernels, after preparing x once on the calling thread when they transform it). Many tokens: blocks of rows are converted to f32 in per-thread scratch
// (f32 rows are used in place; compressed layers decode their rows) and multiplied with
// cblas_sgemm. Callers hold a blas_single_thread_scope while calling.
void matmul_group(std::span<const linear_job> jobs, const float* x, std::int64_t n_tokens, compute_context& ctx);

// Jobs one loop handles; matmul_group splits larger groups.
constexpr std::size_t k_max_group_jobs = 4;

// A group of one.
void matmul(const linear_ref& w, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy, compute_context& ctx);

// Rows of the shortest converted block prefill hands to sgemm (each call packs x again).
constexpr std::int64_t k_gemm_min_block_rows = 128;
// Floats of converted rows a thread may hold for one sgemm call (32 MiB).
constexpr std::int64_t k_gemm_scratch_floats = std::int64_t{8} << 20;

// Tokens from which matmul switches from matrix-vector products to sgemm.
constexpr std::int64_t k_gemm_min_tokens = 8;

// Makes OpenBLAS single-threaded while alive (matmul calls it from the pool's threads) and
// restores the previous thread count afterwards.
class blas_single_thread_scope {
 public:
  blas_single_thread_scope();
  ~blas_single_thread_scope();
  blas_single_thread_scope(const blas_single_thread_scope&) = delete;
  blas_single_thread_scope& operator=(const blas_single_thread_scope&) = delete;

 private:
  int previous_;
};

}  // namespace kick::cpu
