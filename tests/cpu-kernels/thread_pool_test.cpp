// The cpu backend's thread pool: every item runs exactly once, on a valid thread, whatever the
// thread count, spin time and loop length; loops follow each other without losing items.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "thread_pool.h"

namespace {

using kick::cpu::thread_pool;
using namespace std::chrono_literals;

// Runs one loop of n items and checks each ran once on a thread of the pool.
void check_loop(thread_pool& pool, std::int64_t n) {
  std::vector<std::atomic<int>> runs(static_cast<std::size_t>(n));
  std::atomic<int> bad_thread{0};
  pool.for_each(n, [&](std::int64_t item, int thread) {
    if (thread < 0 || thread >= pool.n_threads()) bad_thread.fetch_add(1);
    runs[static_cast<std::size_t>(item)].fetch_add(1);
  });
  CHECK(bad_thread.load() == 0);
  std::int64_t wrong = 0;
  for (const auto& r : runs) wrong += r.load() != 1 ? 1 : 0;
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("thread_pool runs every item exactly once", "[thread_pool]") {
  for (int threads : {1, 2, 3, 8}) {
    for (auto spin : {0us, 50us}) {
      thread_pool pool(threads, spin);
      CAPTURE(threads, spin.count());
      CHECK(pool.n_threads() == threads);
      for (std::int64_t n : {0, 1, 2, 7, 64, 1000, 4099}) {
        CAPTURE(n);
        check_loop(pool, n);
      }
    }
  }
}

TEST_CASE("thread_pool keeps items and loops apart across many short loops", "[thread_pool]") {
  // Short loops back to back: a worker that wakes late must not run an item twice or lose one
  // (each loop's sum is checked against its own expected value).
  // Spinning and sleeping workers both (more threads than cores never spin).
  for (auto [threads, spin] : {std::pair{4, 20us}, std::pair{2, 20us}, std::pair{2, 0us}}) {
    thread_pool pool(threads, spin);
    CAPTURE(threads, pool.spin().count());
    for (int loop = 0; loop < 3000; ++loop) {
      const std::int64_t n = 1 + loop % 13;
      std::atomic<std::int64_t> sum{0};
      pool.for_each(n, [&](std::int64_t item, int) { sum.fetch_add(item + 1000 * loop); });
      const std::int64_t expected = n * (n - 1) / 2 + 1000 * static_cast<std::int64_t>(loop) * n;
      if (sum.load() != expected) {
        FAIL("loop " << loop << ": sum " << sum.load() << ", expected " << expected);
      }
    }
  }
}

TEST_CASE("thread_pool uses its workers and runs serially when asked", "[thread_pool]") {
  thread_pool pool(2, 1000us);
  // Items that wait for each other can only finish when two threads run them at once.
  std::atomic<int> arrived{0};
  std::atomic<bool> both{false};
  pool.for_each(2, [&](std::int64_t, int) {
    arrived.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (arrived.load() == 2) both = true;
  });
  CHECK(both.load());

  std::vector<int> threads_seen;
  pool.for_each(100, [&](std::int64_t, int thread) { threads_seen.push_back(thread); }, /*parallel=*/false);
  CHECK(threads_seen == std::vector<int>(100, 0));
}

TEST_CASE("thread_pool does not spin with more threads than cores", "[thread_pool]") {
  thread_pool pool(kick::cpu::usable_cores() + 1, 50us);
  CHECK(pool.spin() == 0us);
  check_loop(pool, 257);
  thread_pool fits(1, 50us);
  CHECK(fits.spin() == 50us);
}
