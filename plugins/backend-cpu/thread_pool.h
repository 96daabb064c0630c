// The cpu backend's threads: a persistent team that runs one parallel loop at a time.
//
// Why not OpenMP: kickhost makes libgomp's idle threads sleep at once (OMP_WAIT_POLICY=PASSIVE,
// docs/env-vars.md), because spinning threads ran a 2-thread run beside one busy core 24x slower;
// but then every parallel region paid a futex wake-up, 20-30 us on a VM's vCPU, so a decode step's
// 4096x4096 int4 product (0.2 ms) spent a tenth of its time waking its team. Here an idle worker
// spins for a bounded time (k_default_spin_us; not at all when there are more threads than
// cores) before it sleeps, and a loop ends when its items are done, not when every thread has
// checked in: a worker descheduled by another process before it took an item holds nobody up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

namespace kick::cpu {

// Cores this process may run on (its CPU affinity mask), at least 1.
int usable_cores();

class thread_pool {
 public:
  // How long an idle thread spins before it sleeps, by default: about twice the wake-up latency
  // measured on the 2-vCPU development VM (20-30 us), so that the gaps of a decode step between
  // products (norms, RoPE: a few us) never sleep while a longer idle time costs a core at most
  // this long.
  static constexpr std::chrono::microseconds k_default_spin_us{50};

  // Starts n_threads - 1 workers; the thread that calls for_each works as thread 0. spin_us = 0
  // makes idle threads sleep at once. More threads than the process may run on: no spinning.
  explicit thread_pool(int n_threads, std::chrono::microseconds spin_us = k_default_spin_us);
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  int n_threads() const { return n_threads_; }
  std::chrono::microseconds spin() const { return spin_; }

  // Calls body(item, thread) once for every item in [0, n_items), thread in [0, n_threads()), and
  // returns when all calls have returned. Items go out in increasing order, one at a time, to the
  // next thread that asks. With parallel = false, one thread or one item, everything runs on the
  // calling thread. Not reentrant: body must not call for_each of the same pool. An exception
  // leaving body in a parallel loop ends the process (std::terminate), as one leaving an OpenMP
  // region does.
  template <class F>
  void for_each(std::int64_t n_items, F&& body, bool parallel = true) {
    if (!parallel || n_threads_ == 1 || n_items <= 1) {
      for (std::int64_t i = 0; i < n_items; ++i) body(i, 0);
      return;
    }
    using body_type = std::remove_reference_t<F>;
    run(n_items, [](void* b, std::int64_t item, int thread) { (*static_cast<body_type*>(b))(item, thread); },
        const_cast<void*>(static_cast<const void*>(std::addressof(body))));
  }

 private:
  using item_fn = void (*)(void* body, std::int64_t item, int thread);
  // Items of one loop (done_ counts them in 32 bits); longer loops run as several.
  static constexpr std::int64_t k_max_items = std::int64_t{1} << 31;

  void run(std::int64_t n_items, item_fn fn, void* body) noexcept;
  void run_loop(std::int64_t n_items, std::int64_t first_item) noexcept;
  void work(int thread) noexcept;  // an exception from an item ends the process, as OpenMP did
  void worker(int thread);

  int n_threads_;
  std::chrono::microseconds spin_;
  // The current loop, written by the caller before it publishes the loop in claim_ and read by a
  // thread only after it claimed an item (so never while the caller rewrites them).
  item_fn fn_ = nullptr;
  void* body_ = nullptr;
  std::int64_t first_item_ = 0;
  // n_items << 32 | next item of the current loop; threads claim items by compare-and-swap.
  std::atomic<std::uint64_t> claim_{0};
  std::atomic<std::uint32_t> done_{0};     // items of the current loop finished (the caller waits on it)
  std::atomic<std::uint32_t> started_{0};  // loops started (idle workers wait on it)
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

}  // namespace kick::cpu
