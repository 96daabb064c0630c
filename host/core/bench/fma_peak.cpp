#include "core/bench/fma_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace kick {
namespace {

constexpr long k_batch = 1 << 14;  // loop iterations between clock reads

// Each function runs `batches` * k_batch iterations of n_acc independent FMAs and returns a value
// that depends on every accumulator (so the loop cannot be removed). Flops per iteration:
// n_acc * lanes * 2.
constexpr int k_accumulators = 12;

__attribute__((target("avx512f"))) float fma_loop_avx512(long batches, float seed) {
  __m512 acc[k_accumulators];
  for (int i = 0; i < k_accumulators; ++i) acc[i] = _mm512_set1_ps(seed + static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long n = 0; n < batches * k_batch; ++n) {
    for (int i = 0; i < k_accumulators; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]));
  }
  __m512 sum = acc[0];
  for (int i = 1; i < k_accumulators; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(long batches, float seed) {
  __m256 acc[k_accumulators];
  for (int i = 0; i < k_accumulators; ++i) acc[i] = _mm256_set1_ps(seed + static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long n = 0; n < batches * k_batch; ++n) {
    for (int i = 0; i < k_accumulators; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]));
  }
  __m256 sum = acc[0];
  for (int i = 1; i < k_accumulators; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

float fma_loop_scalar(long batches, float seed) {
  float acc[k_accumulators];
  for (int i = 0; i < k_accumulators; ++i) acc[i] = seed + static_cast<float>(i);
  for (long n = 0; n < batches * k_batch; ++n) {
    for (int i = 0; i < k_accumulators; ++i) acc[i] = __builtin_fmaf(acc[i], 0.999999f, 1e-7f);
    __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]));
  }
  float total = 0;
  for (float v : acc) total += v;
  return total;
}

using loop_fn = float (*)(long, float);

// GFLOP/s of `loop` on `threads` threads running together for about `seconds`.
double measure(loop_fn loop, int lanes, unsigned threads, double seconds) {
  // Calibrate: batches one thread runs in about seconds / 10.
  long batches = 1;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    volatile float sink = loop(batches, 1.0f);
    (void)sink;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds / 10 || batches > (1L << 30)) break;
    batches *= 2;
  }
  batches = std::max(1L, batches * 10);
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> elapsed(threads);
  {
    std::vector<std::jthread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        const auto start = std::chrono::steady_clock::now();
        volatile float sink = loop(batches, static_cast<float>(t));
        (void)sink;
        elapsed[t] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      });
    }
    while (ready.load() < threads) std::this_thread::yield();
    go.store(true, std::memory_order_release);
  }
  const double slowest = *std::max_element(elapsed.begin(), elapsed.end());
  const double flops = static_cast<double>(threads) * static_cast<double>(batches) * k_batch * k_accumulators * lanes * 2.0;
  return slowest > 0 ? flops / slowest * 1e-9 : 0.0;
}

}  // namespace

fma_peak measure_fma_peak(unsigned threads, double seconds) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  __builtin_cpu_init();
  fma_peak best;
  best.threads = threads;
  const auto consider = [&](const char* isa, loop_fn loop, int lanes) {
    const double gflops = measure(loop, lanes, threads, seconds);
    if (gflops > best.gflops) best.gflops = gflops, best.isa = isa;
  };
  if (__builtin_cpu_supports("avx512f")) consider("avx512f", fma_loop_avx512, 16);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) consider("avx2", fma_loop_avx2, 8);
  if (best.gflops == 0) consider("scalar", fma_loop_scalar, 1);
  return best;
}

}  // namespace kick
