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

// Each function runs `batches` * k_batch iterations of k_accumulators independent FMAs and returns
// a value that depends on every accumulator (so the loop cannot be removed). Flops per iteration:
// k_accumulators * lanes * 2. The accumulators are twelve named variables, each pinned to a
// register by the empty asm: GCC 12 kept an array of them on the stack, and the loop then waited
// on store forwarding (this 2-vCPU EPYC VM: 103 instead of 260-270 GFLOP/s per core, below what
// OpenBLAS's own sgemm reached).
constexpr int k_accumulators = 12;

#define KICK_FMA_LOOP(V, SET1, FMA, ADD, PIN)                                                                   \
  const V a = SET1(0.999999f), b = SET1(1e-7f);                                                                 \
  V c0 = SET1(seed), c1 = SET1(seed + 1), c2 = SET1(seed + 2), c3 = SET1(seed + 3), c4 = SET1(seed + 4);         \
  V c5 = SET1(seed + 5), c6 = SET1(seed + 6), c7 = SET1(seed + 7), c8 = SET1(seed + 8), c9 = SET1(seed + 9);     \
  V c10 = SET1(seed + 10), c11 = SET1(seed + 11);                                                               \
  for (long n = 0; n < batches * k_batch; ++n) {                                                                \
    c0 = FMA(c0, a, b), c1 = FMA(c1, a, b), c2 = FMA(c2, a, b), c3 = FMA(c3, a, b);                             \
    c4 = FMA(c4, a, b), c5 = FMA(c5, a, b), c6 = FMA(c6, a, b), c7 = FMA(c7, a, b);                             \
    c8 = FMA(c8, a, b), c9 = FMA(c9, a, b), c10 = FMA(c10, a, b), c11 = FMA(c11, a, b);                         \
    __asm__ volatile("" : PIN(c0), PIN(c1), PIN(c2), PIN(c3), PIN(c4), PIN(c5), PIN(c6), PIN(c7), PIN(c8),     \
                     PIN(c9), PIN(c10), PIN(c11));                                                              \
  }                                                                                                             \
  const V sum = ADD(ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7))), ADD(ADD(c8, c9), ADD(c10, c11)))

#define KICK_PIN_V(x) "+v"(x)
#define KICK_PIN_X(x) "+x"(x)

__attribute__((target("avx512f"))) float fma_loop_avx512(long batches, float seed) {
  KICK_FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, KICK_PIN_V);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(long batches, float seed) {
  KICK_FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, KICK_PIN_X);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

inline float set1_scalar(float v) { return v; }
inline float add_scalar(float x, float y) { return x + y; }

float fma_loop_scalar(long batches, float seed) {
  KICK_FMA_LOOP(float, set1_scalar, __builtin_fmaf, add_scalar, KICK_PIN_X);
  return sum;
}

#undef KICK_FMA_LOOP
#undef KICK_PIN_V
#undef KICK_PIN_X

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
