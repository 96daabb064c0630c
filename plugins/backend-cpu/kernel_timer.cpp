#include "kernel_timer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "kick/format_codec.h"
#include "matmul.h"

namespace kick::cpu {

namespace {

// The last-level cache in bytes (sysfs, then sysconf), or 0 when neither says.
std::int64_t last_level_cache_bytes() {
  for (int index = 4; index >= 0; --index) {
    std::ifstream file("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    std::int64_t size = 0;
    char unit = 0;
    if (file >> size) {
      if (file >> unit) size *= unit == 'M' ? std::int64_t{1} << 20 : unit == 'K' ? std::int64_t{1} << 10 : 1;
      if (size > 0) return size;
    }
  }
  const long conf = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return conf > 0 ? conf : 0;
}

// Reading a buffer of several times the last-level cache (each thread its part, so that every
// core's private caches are flushed too) before each product: decode reads a model's weights,
// gigabytes per token, never from cache, so neither does the benchmark.
class cache_evictor {
 public:
  cache_evictor()
      : floats_(static_cast<std::size_t>(std::max<std::int64_t>(std::int64_t{64} << 20, 4 * last_level_cache_bytes())) / sizeof(float)),
        buffer_(floats_, 1.0f) {}

  // The threads of `pool` take its parts in turn, so each reads about its share.
  void evict(thread_pool& pool) {
    constexpr std::size_t k_parts = 256;
    std::vector<float> totals(static_cast<std::size_t>(pool.n_threads()), 0.0f);
    pool.for_each(k_parts, [&](std::int64_t part, int thread) {
      const std::size_t begin = floats_ / k_parts * static_cast<std::size_t>(part);
      const std::size_t end = static_cast<std::size_t>(part) + 1 == k_parts ? floats_ : begin + floats_ / k_parts;
      float total = 0.0f;
      for (std::size_t i = begin; i < end; i += 16) total += buffer_[i];  // one read per 64-byte line
      totals[static_cast<std::size_t>(thread)] += total;
    });
    for (float t : totals) sink_ = sink_ + t;
  }

 private:
  std::size_t floats_;
  std::vector<float> buffer_;
  volatile float sink_ = 0.0f;
};

}  // namespace

result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats, const kernel_set& kernels,
                                  int n_threads, linear_options linear) {
  if (n_tokens < 1 || repeats < 1 || warmup < 0 || (weight.dense == nullptr) == (weight.compressed == nullptr)) {
    return fail(status_code::invalid_argument, "time_linear: needs one weight, n_tokens >= 1, repeats >= 1, warmup >= 0");
  }
  kernel_timing t;
  std::unique_ptr<compressed_linear> compressed;
  linear_ref ref;
  if (weight.compressed != nullptr) {
    auto made = make_compressed_linear(*weight.compressed, kernels, linear);
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
  cache_evictor evictor;
  std::vector<double> seconds;
  for (int i = 0; i < warmup + repeats; ++i) {
    evictor.evict(ctx.pool());
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
  constexpr std::size_t k_parts = 64;  // of 4 MiB, taken in turn by the threads
  thread_pool pool(n_threads);
  const auto src = std::make_unique_for_overwrite<std::byte[]>(bytes);
  const auto dst = std::make_unique_for_overwrite<std::byte[]>(bytes);
  std::memset(src.get(), 1, bytes);
  std::memset(dst.get(), 0, bytes);
  double best = 1e30;
  for (int run = 0; run < 6; ++run) {
    const auto start = std::chrono::steady_clock::now();
    pool.for_each(k_parts, [&](std::int64_t part, int) {
      const std::size_t begin = bytes / k_parts * static_cast<std::size_t>(part);
      std::memcpy(dst.get() + begin, src.get() + begin, bytes / k_parts);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) best = std::min(best, s);  // the first run pays for page faults
  }
  return 2.0 * static_cast<double>(bytes) / best;
}

}  // namespace kick::cpu
