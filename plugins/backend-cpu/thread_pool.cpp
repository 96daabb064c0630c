#include "thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace kick::cpu {

namespace {

using clock_type = std::chrono::steady_clock;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

std::int64_t items_of(std::uint64_t claim) { return static_cast<std::int64_t>(claim >> 32); }
std::int64_t next_of(std::uint64_t claim) { return static_cast<std::int64_t>(claim & 0xffffffffu); }

// Waits until `word` no longer holds `old`: spins until `deadline`, then sleeps.
template <class T>
T await_change(const std::atomic<T>& word, T old, clock_type::time_point deadline) {
  for (int i = 0;; ++i) {
    const T now = word.load(std::memory_order_acquire);
    if (now != old) return now;
    cpu_relax();
    if ((i & 63) == 63 && clock_type::now() >= deadline) {
      word.wait(old, std::memory_order_acquire);
      i = -1;
    }
  }
}

}  // namespace

int usable_cores() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

thread_pool::thread_pool(int n_threads, std::chrono::microseconds spin_us)
    : n_threads_(std::max(1, n_threads)), spin_(n_threads_ > usable_cores() ? std::chrono::microseconds{0} : spin_us) {
  workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker(t); });
}

thread_pool::~thread_pool() {
  stop_.store(true, std::memory_order_release);
  started_.fetch_add(1, std::memory_order_release);
  started_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void thread_pool::run(std::int64_t n_items, item_fn fn, void* body) noexcept {
  fn_ = fn;
  body_ = body;
  for (std::int64_t first = 0; first < n_items; first += k_max_items) run_loop(std::min(k_max_items, n_items - first), first);
}

void thread_pool::run_loop(std::int64_t n_items, std::int64_t first_item) noexcept {
  first_item_ = first_item;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<std::uint64_t>(n_items) << 32, std::memory_order_release);
  started_.fetch_add(1, std::memory_order_release);
  started_.notify_all();  // a futex call only when a worker sleeps
  work(0);
  const auto items = static_cast<std::uint32_t>(n_items);
  std::uint32_t done = done_.load(std::memory_order_acquire);
  const auto deadline = clock_type::now() + spin_;
  while (done != items) done = await_change(done_, done, deadline);
}

void thread_pool::work(int thread) noexcept {
  std::uint64_t claim = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (next_of(claim) >= items_of(claim)) return;
    if (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // A successful exchange claims an unclaimed item of the current loop (whatever loop this
    // thread last looked at): the loop cannot end before the item is done, so fn_, body_ and
    // first_item_ are still its own.
    fn_(body_, first_item_ + next_of(claim), thread);
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<std::uint32_t>(items_of(claim))) done_.notify_one();
    claim = claim_.load(std::memory_order_acquire);
  }
}

void thread_pool::worker(int thread) {
  std::uint32_t seen = 0;  // started_ at construction: a loop started before this thread ran is not missed
  for (;;) {
    seen = await_change(started_, seen, clock_type::now() + spin_);
    if (stop_.load(std::memory_order_acquire)) return;
    work(thread);
  }
}

}  // namespace kick::cpu
