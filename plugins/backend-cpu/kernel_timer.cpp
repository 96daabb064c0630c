#include "kernel_timer.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kick/format_codec.h"
#include "matmul.h"

namespace kick::cpu {

result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats, const kernel_set& kernels,
                                  int n_threads, sparse_value_type values) {
  if (n_tokens < 1 || repeats < 1 || warmup < 0 || (weight.dense == nullptr) == (weight.compressed == nullptr)) {
    return fail(status_code::invalid_argument, "time_linear: needs one weight, n_tokens >= 1, repeats >= 1, warmup >= 0");
  }
  kernel_timing t;
  std::unique_ptr<compressed_linear> compressed;
  linear_ref ref;
  if (weight.compressed != nullptr) {
    auto made = make_compressed_linear(*weight.compressed, kernels, values);
    if (!made) return fail(made.error());
    compressed = std::move(*made);
    ref.compressed = compressed.get();
    t.kernel = compressed->kernel_name();
    t.weight_bytes = compressed->bytes();
  } else {
    ref.dense = weight.dense;
    t.kernel = std::string(traits(weight.dense->type).name) + " " + kernels.isa;
    t.weight_bytes = weight.dense->n_rows() * row_size_bytes(weight.dense->type, weight.dense->n_cols());
  }
  t.kernel = (n_tokens < k_gemm_min_tokens ? "matvec " : "sgemm ") + t.kernel;
  std::vector<float> x(static_cast<std::size_t>(n_tokens * ref.n_cols()));
  std::vector<float> y(static_cast<std::size_t>(n_tokens * ref.n_rows()));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  compute_context ctx(kernels, n_threads, ref.n_cols());
  std::optional<blas_single_thread_scope> blas_scope;
  if (n_tokens >= k_gemm_min_tokens) blas_scope.emplace();
  std::vector<double> seconds;
  for (int i = 0; i < warmup + repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    matmul(ref, x.data(), n_tokens, y.data(), ref.n_rows(), ctx);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i >= warmup) seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  t.median_seconds = seconds[seconds.size() / 2];
  t.min_seconds = seconds.front();
  return t;
}

double copy_bandwidth(int n_threads) {
  const std::size_t bytes = std::size_t{256} << 20;
  const auto src = std::make_unique_for_overwrite<std::byte[]>(bytes);
  const auto dst = std::make_unique_for_overwrite<std::byte[]>(bytes);
  std::memset(src.get(), 1, bytes);
  std::memset(dst.get(), 0, bytes);
  double best = 1e30;
  for (int run = 0; run < 6; ++run) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(n_threads)
    {
      const std::size_t parts = static_cast<std::size_t>(omp_get_num_threads());
      const std::size_t id = static_cast<std::size_t>(omp_get_thread_num());
      const std::size_t begin = bytes / parts * id;
      const std::size_t end = id + 1 == parts ? bytes : bytes / parts * (id + 1);
      std::memcpy(dst.get() + begin, src.get() + begin, end - begin);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) best = std::min(best, s);  // the first run pays for page faults
  }
  return 2.0 * static_cast<double>(bytes) / best;
}

}  // namespace kick::cpu
