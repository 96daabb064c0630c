#include "matmul.h"

#include <algorithm>
#include <cblas.h>
#include <cstdint>

namespace kick::cpu {

compute_context::compute_context(const kernel_set& kernels, int n_threads, std::int64_t max_cols)
    : kernels_(&kernels), pool_(n_threads), scratch_floats_(std::max(k_scratch_floats, max_cols)) {
  for (int i = 0; i < pool_.n_threads(); ++i) {
    scratch_.push_back(std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(scratch_floats_)));
  }
  gemm_scratch_.resize(static_cast<std::size_t>(pool_.n_threads()));
}

float* compute_context::gemm_scratch(int thread, std::int64_t floats) {
  if (floats <= scratch_floats_) return scratch(thread);
  std::vector<float>& buffer = gemm_scratch_[static_cast<std::size_t>(thread)];
  if (buffer.size() < static_cast<std::size_t>(floats)) buffer.resize(static_cast<std::size_t>(floats));
  return buffer.data();
}

std::byte* compute_context::prepared_input(std::size_t job, std::int64_t bytes) {
  if (prepared_.size() <= job) prepared_.resize(job + 1);
  return aligned_prepared_input(prepared_[job], bytes);
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
constexpr std::int64_t k_parallel_min_work = std::int64_t{1} << 20;

// Output rows of all the jobs of a group together.
std::int64_t total_rows(std::span<const linear_job> jobs) {
  std::int64_t rows = 0;
  for (const linear_job& job : jobs) rows += job.w.n_rows();
  return rows;
}

// Decode's row chunks: about this many bytes of weights, at least 16 rows, and at least this many
// chunks per thread where the rows allow.
constexpr std::int64_t k_chunk_bytes = 256 * 1024;
constexpr std::int64_t k_chunk_min_rows = 16;
constexpr std::int64_t k_chunks_per_thread = 8;

std::int64_t weight_bytes(const linear_ref& w) {
  return w.compressed != nullptr ? w.compressed->bytes() : w.dense->n_rows() * w.dense->row_stride_bytes();
}

void matvec(std::span<const linear_job> jobs, const float* x, std::int64_t n_tokens, compute_context& ctx) {
  const std::int64_t n_rows = total_rows(jobs);
  const std::int64_t n_cols = jobs[0].w.n_cols();
  const bool parallel = n_rows * n_cols * n_tokens >= k_parallel_min_work;
  // Inputs the kernels transform (quantize, transpose) are prepared once here, not per row chunk.
  const std::byte* prepared[k_max_group_jobs] = {};
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const compressed_linear* c = jobs[j].w.compressed;
    if (c == nullptr) continue;
    if (const std::int64_t bytes = c->prepared_input_bytes(n_tokens); bytes > 0) {
      std::byte* buffer = ctx.prepared_input(j, bytes);
      c->prepare_input(x, n_tokens, buffer);
      prepared[j] = buffer;
    }
  }
  // Threads take chunks of rows as they finish (the VM's vCPUs run at uneven speeds): each chunk a
  // contiguous stretch of about k_chunk_bytes of weights, so the kernels' prefetch ahead in a row
  // lands in rows the same thread reads next; whole multiples of 16 rows, so that neighbouring
  // threads rarely share a cache line of y; never spanning two jobs.
  std::int64_t chunk_rows[k_max_group_jobs] = {}, first_chunk[k_max_group_jobs + 1] = {};
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::int64_t rows = jobs[j].w.n_rows();
    const std::int64_t by_bytes = k_chunk_bytes / std::max<std::int64_t>(1, weight_bytes(jobs[j].w) / rows);
    const std::int64_t by_balance = rows / (k_chunks_per_thread * ctx.n_threads());
    chunk_rows[j] = std::max<std::int64_t>(k_chunk_min_rows, std::min(by_bytes, by_balance) / k_chunk_min_rows * k_chunk_min_rows);
    first_chunk[j + 1] = first_chunk[j] + (rows + chunk_rows[j] - 1) / chunk_rows[j];
  }
  const std::int64_t n_chunks = first_chunk[jobs.size()];
  ctx.pool().for_each(n_chunks, [&](std::int64_t chunk, int thread) {
    std::size_t j = 0;
    while (chunk >= first_chunk[j + 1]) ++j;
    const linear_job& job = jobs[j];
    const std::int64_t r0 = (chunk - first_chunk[j]) * chunk_rows[j];
    const std::int64_t r1 = std::min(r0 + chunk_rows[j], job.w.n_rows());
    if (prepared[j] != nullptr) {
      job.w.compressed->matvec_prepared(r0, r1, prepared[j], n_tokens, job.y, job.ldy);
      return;
    }
    if (job.w.compressed != nullptr) {
      job.w.compressed->matvec(r0, r1, x, n_tokens, job.y, job.ldy, ctx.scratch(thread));
      return;
    }
    const tensor_view& w = *job.w.dense;
    const dot_fn dot = ctx.kernels().dot[static_cast<int>(w.type)];
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::byte* row = w.row(r);
      for (std::int64_t t = 0; t < n_tokens; ++t) job.y[t * job.ldy + r] = dot(row, x + t * n_cols, n_cols);
    }
  }, parallel);
}

void gemm(std::span<const linear_job> jobs, const float* x, std::int64_t n_tokens, compute_context& ctx) {
  const std::int64_t n_rows = total_rows(jobs);
  const std::int64_t n_cols = jobs[0].w.n_cols();
  // Enough blocks to balance threads. Each sgemm call packs x again, so blocks are as tall as the
  // balance allows: f32 rows are multiplied in place; rows converted first (other dtypes,
  // compressed layers) go through per-thread gemm scratch of k_gemm_min_block_rows rows up to
  // k_gemm_scratch_floats (the 1 MiB scratch alone made 128-row blocks at 11008 columns: x packed
  // 32 times per product, f16/bf16 prefill at 63-76 % of the FMA peak instead of 74-85 %).
  const std::int64_t balanced_rows = (n_rows + 4 * ctx.n_threads() - 1) / (4 * ctx.n_threads());
  const std::int64_t scratch_rows = std::max(k_gemm_min_block_rows, k_gemm_scratch_floats / n_cols);
  struct block {
    const linear_job* job;
    std::int64_t r0, rows;
  };
  std::vector<block> blocks;
  for (const linear_job& job : jobs) {
    const bool in_place = job.w.dense != nullptr && job.w.dense->type == dtype::f32;
    const std::int64_t block_rows = std::max<std::int64_t>(1, in_place ? balanced_rows : std::min(balanced_rows, scratch_rows));
    for (std::int64_t r0 = 0; r0 < job.w.n_rows(); r0 += block_rows) {
      blocks.push_back({&job, r0, std::min(block_rows, job.w.n_rows() - r0)});
    }
  }
  const auto n_blocks = static_cast<std::int64_t>(blocks.size());
  const bool parallel = n_rows * n_cols * n_tokens >= k_parallel_min_work;
  ctx.pool().for_each(n_blocks, [&](std::int64_t b, int thread) {
    const block& blk = blocks[static_cast<std::size_t>(b)];
    const float* a = nullptr;
    std::int64_t lda = n_cols;
    if (const compressed_linear* c = blk.job->w.compressed; c != nullptr) {
      float* scratch = ctx.gemm_scratch(thread, blk.rows * n_cols);
      c->decode_rows(blk.r0, blk.r0 + blk.rows, scratch);
      a = scratch;
    } else if (const tensor_view& w = *blk.job->w.dense; w.type == dtype::f32) {
      a = reinterpret_cast<const float*>(w.row(blk.r0));
      lda = w.row_stride_bytes() / static_cast<std::int64_t>(sizeof(float));
    } else {
      const dequant_fn dequant = ctx.kernels().dequant[static_cast<int>(w.type)];
      float* scratch = ctx.gemm_scratch(thread, blk.rows * n_cols);
      for (std::int64_t r = 0; r < blk.rows; ++r) dequant(w.row(blk.r0 + r), scratch + r * n_cols, n_cols);
      a = scratch;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n_tokens), static_cast<int>(blk.rows),
                static_cast<int>(n_cols), 1.0f, x, static_cast<int>(n_cols), a, static_cast<int>(lda), 0.0f,
                blk.job->y + blk.r0, static_cast<int>(blk.job->ldy));
  }, parallel);
}

}  // namespace

void matmul_group(std::span<const linear_job> jobs, const float* x, std::int64_t n_tokens, compute_context& ctx) {
  if (jobs.empty() || n_tokens <= 0) return;
  if (jobs.size() > k_max_group_jobs) {
    matmul_group(jobs.first(k_max_group_jobs), x, n_tokens, ctx);
    matmul_group(jobs.subspan(k_max_group_jobs), x, n_tokens, ctx);
    return;
  }
  if (n_tokens < k_gemm_min_tokens) {
    matvec(jobs, x, n_tokens, ctx);
  } else {
    gemm(jobs, x, n_tokens, ctx);
  }
}

void matmul(const linear_ref& w, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy, compute_context& ctx) {
  const linear_job job{w, y, ldy};
  matmul_group(std::span(&job, 1), x, n_tokens, ctx);
}

}  // namespace kick::cpu
