#include "core/bench/read_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace kick {

namespace {

// 16 independent accumulators so the sum is limited by loads, not by add latency; vectorised
// for the widest ISA the CPU has.
template <int Unused>
float sum_range(const float* p, std::size_t n) {
  float acc[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) acc[j] += p[i + static_cast<std::size_t>(j)];
  }
  for (; i < n; ++i) acc[0] += p[i];
  float total = 0.0f;
  for (float a : acc) total += a;
  return total;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) float sum_avx512(const float* p, std::size_t n) { return sum_range<0>(p, n); }
__attribute__((target("avx2"))) float sum_avx2(const float* p, std::size_t n) { return sum_range<1>(p, n); }
#endif

using sum_fn = float (*)(const float*, std::size_t);

sum_fn best_sum() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) return sum_avx512;
  if (__builtin_cpu_supports("avx2")) return sum_avx2;
#endif
  return sum_range<2>;
}

}  // namespace

read_bandwidth measure_read_bandwidth(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t n = (std::size_t{1} << 30) / sizeof(float);
  const auto buffer = std::make_unique_for_overwrite<float[]>(n);
  // Each thread first-touches its own part, as it reads it later.
  const auto run = [&](auto&& per_thread) {
    std::vector<std::thread> team;
    for (unsigned t = 0; t < threads; ++t) team.emplace_back(per_thread, t);
    for (std::thread& th : team) th.join();
  };
  const auto part = [&](unsigned t) { return std::pair{n / threads * t, t + 1 == threads ? n : n / threads * (t + 1)}; };
  run([&](unsigned t) {
    const auto [begin, end] = part(t);
    std::fill(buffer.get() + begin, buffer.get() + end, 1.0f);
  });
  const sum_fn sum = best_sum();
  std::vector<float> sink(threads);
  double best = 1e30;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    run([&](unsigned t) {
      const auto [begin, end] = part(t);
      sink[t] = sum(buffer.get() + begin, end - begin);
    });
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  volatile float keep = sink[0];  // the sums must not be optimised away
  (void)keep;
  return {static_cast<double>(n * sizeof(float)) / best, threads};
}

}  // namespace kick
