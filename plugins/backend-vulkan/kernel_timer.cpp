#include "kernel_timer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <vector>

#include "device_linear.h"
#include "linear_ops.h"
#include "ops.h"
#include "vk_commands.h"

namespace kick::vk {

namespace {

// Runs `record` warmup + repeats times, one submission each; returns the sorted durations.
result<std::vector<double>> time_submissions(session& s, descriptor_arena& arena, command_stream& stream, const buffer_range& dummy,
                                             const std::function<status(op_context&)>& record, int warmup, int repeats) {
  std::vector<double> seconds;
  for (int i = 0; i < warmup + repeats; ++i) {
    arena.reset();
    if (status st = stream.begin(); !st.ok()) return fail(st);
    op_context ctx{s.dev(), s.pipelines(), arena, stream, dummy};
    stream.timestamp(0);
    if (status st = record(ctx); !st.ok()) return fail(st);
    stream.timestamp(1);
    const auto start = std::chrono::steady_clock::now();
    if (status st = stream.submit_and_wait(); !st.ok()) return fail(st);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i < warmup) continue;
    auto device_seconds = stream.elapsed_seconds(0, 1);
    seconds.push_back(device_seconds ? *device_seconds : wall);
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds;
}

}  // namespace

result<kernel_timing> time_linear(session& s, const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats) {
  if (n_tokens < 1 || repeats < 1 || warmup < 0) {
    return fail(status_code::invalid_argument, fmt::format("time_linear: n_tokens {}, repeats {}, warmup {}", n_tokens, repeats, warmup));
  }
  memory_pool pool(s.dev());
  upload_options options;
  options.max_binding_bytes = s.max_binding_bytes();
  options.values = s.options().compressed_values;
  auto w = device_linear::upload(pool, weight, options, "benchmark weight");
  if (!w) return fail(w.error());
  const std::uint64_t x_floats = static_cast<std::uint64_t>(n_tokens * w->n_cols());
  const std::uint64_t y_floats = static_cast<std::uint64_t>(n_tokens * w->n_rows());
  auto x = pool.allocate(x_floats * 4, memory_kind::device, "benchmark activations");
  auto y = pool.allocate(y_floats * 4, memory_kind::device, "benchmark outputs");
  auto dummy = pool.allocate(16, memory_kind::device, "placeholder");
  if (!x) return fail(x.error());
  if (!y) return fail(y.error());
  if (!dummy) return fail(dummy.error());
  std::vector<float> values(x_floats);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : values) v = dist(rng);
  if (status st = pool.upload(*x, values.data(), x_floats * 4); !st.ok()) return fail(st);
  descriptor_arena arena(s.dev());
  auto stream = command_stream::create(s.dev());
  if (!stream) return fail(stream.error());
  const auto n = static_cast<std::uint32_t>(n_tokens);
  const auto cols = static_cast<std::uint32_t>(w->n_cols());
  const auto rows = static_cast<std::uint32_t>(w->n_rows());
  auto seconds = time_submissions(
      s, arena, **stream, *dummy, [&](op_context& ctx) { return record_linear(ctx, *w, *x, cols, *y, rows, n); }, warmup, repeats);
  if (!seconds) return fail(seconds.error());
  kernel_timing t;
  t.median_seconds = (*seconds)[seconds->size() / 2];
  t.min_seconds = seconds->front();
  t.weight_bytes = static_cast<std::int64_t>(w->bytes());
  t.kernel = fmt::format("{} ({})", n_tokens <= k_matvec_max_tokens ? "matvec" : "tiled matmul", w->format_name());
  return t;
}

result<double> copy_bandwidth(session& s) {
  std::uint64_t bytes = std::uint64_t{256} << 20;
  if (s.max_binding_bytes() > 0) bytes = std::min(bytes, s.max_binding_bytes());
  memory_pool pool(s.dev());
  auto src = pool.allocate(bytes, memory_kind::device, "bandwidth source");
  auto dst = pool.allocate(bytes, memory_kind::device, "bandwidth destination");
  auto dummy = pool.allocate(16, memory_kind::device, "placeholder");
  if (!src) return fail(src.error());
  if (!dst) return fail(dst.error());
  if (!dummy) return fail(dummy.error());
  descriptor_arena arena(s.dev());
  auto stream = command_stream::create(s.dev());
  if (!stream) return fail(stream.error());
  auto seconds = time_submissions(
      s, arena, **stream, *dummy, [&](op_context& ctx) { return record_copy(ctx, *src, *dst, bytes / 4); }, 1, 5);
  if (!seconds) return fail(seconds.error());
  return 2.0 * static_cast<double>(bytes) / seconds->front();
}

}  // namespace kick::vk
