// What the linear conformance tests (linear_*_test.cpp) share: uploading a weight, running
// record_linear / record_embedding on the test device, a naive double-accumulating reference over
// the densified matrix, and seeded random data.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "device_linear.h"
#include "linear_ops.h"
#include "vulkan_test_env.h"

namespace kick::test {

inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Runs linear products and lookups of uploaded weights, one submission each.
class linear_rig {
 public:
  explicit linear_rig(vulkan_env& env) : env_(env), arena_(*env.device) {
    auto stream = vk::command_stream::create(*env.device);
    REQUIRE(stream);
    stream_ = std::move(*stream);
    auto dummy = env.pool->allocate(16, vk::memory_kind::device, "dummy");
    REQUIRE(dummy);
    dummy_ = *dummy;
  }

  vk::device_linear upload(const linear_weight& w, std::uint64_t max_binding_bytes = 0, vk::sparse_storage values = vk::sparse_storage::stored) {
    auto d = vk::device_linear::upload(*env_.pool, w, vk::upload_options{max_binding_bytes, values}, "test weight");
    if (!d) FAIL(d.error().message());
    return std::move(*d);
  }

  // y [n_tokens, n_rows] for x [n_tokens, n_cols] (both packed, strides = widths).
  std::vector<float> linear(const vk::device_linear& w, const std::vector<float>& x, std::uint32_t n_tokens) {
    const auto rows = static_cast<std::uint32_t>(w.n_rows()), cols = static_cast<std::uint32_t>(w.n_cols());
    const vk::buffer_range bx = buffer(x.data(), x.size());
    const vk::buffer_range by = buffer(nullptr, static_cast<std::size_t>(n_tokens) * rows);
    vk::op_context ctx{*env_.device, *env_.pipelines, arena_, *stream_, dummy_};
    REQUIRE(stream_->begin().ok());
    const status s = vk::record_linear(ctx, w, bx, cols, by, rows, n_tokens);
    if (!s.ok()) FAIL(s.message());
    REQUIRE(stream_->submit_and_wait().ok());
    arena_.reset();
    return read(by, static_cast<std::size_t>(n_tokens) * rows);
  }

  // out [n_tokens, n_cols] = rows `ids` of the table.
  std::vector<float> embed(const vk::device_linear& table, const std::vector<std::uint32_t>& ids) {
    const auto cols = static_cast<std::uint32_t>(table.n_cols());
    const vk::buffer_range bt = buffer(ids.data(), ids.size());
    const vk::buffer_range bo = buffer(nullptr, ids.size() * cols);
    vk::op_context ctx{*env_.device, *env_.pipelines, arena_, *stream_, dummy_};
    REQUIRE(stream_->begin().ok());
    const status s = vk::record_embedding(ctx, table, bt, static_cast<std::uint32_t>(ids.size()), bo, cols);
    if (!s.ok()) FAIL(s.message());
    REQUIRE(stream_->submit_and_wait().ok());
    arena_.reset();
    return read(bo, ids.size() * cols);
  }

 private:
  vk::buffer_range buffer(const void* data, std::size_t words) {
    auto r = env_.pool->allocate(words * 4, vk::memory_kind::device, "test buffer");
    REQUIRE(r);
    if (data != nullptr && words > 0) REQUIRE(env_.pool->upload(*r, data, words * 4).ok());
    return *r;
  }
  std::vector<float> read(const vk::buffer_range& r, std::size_t n) {
    std::vector<float> out(n);
    REQUIRE(env_.pool->download(r, out.data(), n * 4).ok());
    return out;
  }

  vulkan_env& env_;
  vk::descriptor_arena arena_;
  std::unique_ptr<vk::command_stream> stream_;
  vk::buffer_range dummy_;
};

// Checks y [n_tokens, rows] against sum_c W[r][c] x[t][c] accumulated in double over the dense
// reference W [rows, cols]: |y - ref| <= rel * sum_c |W[r][c] x[t][c]| + 1e-6.
inline void check_product(const std::vector<float>& w, std::int64_t rows, std::int64_t cols, const std::vector<float>& x,
                          std::uint32_t n_tokens, const std::vector<float>& y, double rel) {
  std::int64_t bad = 0;
  for (std::uint32_t t = 0; t < n_tokens; ++t)
    for (std::int64_t r = 0; r < rows; ++r) {
      double ref = 0.0, mag = 0.0;
      for (std::int64_t c = 0; c < cols; ++c) {
        const double p = static_cast<double>(w[static_cast<std::size_t>(r * cols + c)]) * x[static_cast<std::size_t>(t * cols + c)];
        ref += p;
        mag += std::fabs(p);
      }
      const double got = y[static_cast<std::size_t>(t * rows + r)];
      if (!(std::fabs(got - ref) <= rel * mag + 1e-6)) {
        if (++bad <= 5) UNSCOPED_INFO("token " << t << " row " << r << ": got " << got << ", expected " << ref);
      }
    }
  CHECK(bad == 0);
}

// The tolerance of f32 weights (only the order of the f32 sums differs from the reference), and
// of f16-stored values (their rounding, 2^-11 relative, comes on top).
inline constexpr double k_f32_tolerance = 1e-5;
inline constexpr double k_f16_values_tolerance = 1e-3;

// Runs `w` for each token count against the reference `dense` [rows, cols].
inline void check_linear(linear_rig& rig, const vk::device_linear& w, const std::vector<float>& dense,
                         const std::vector<std::uint32_t>& token_counts, double rel = k_f32_tolerance) {
  for (std::uint32_t n : token_counts) {
    INFO(w.format_name() << " [" << w.n_rows() << " x " << w.n_cols() << "], " << n << " tokens, " << w.n_parts() << " parts");
    const std::vector<float> x = random_values(static_cast<std::size_t>(n * w.n_cols()), 1000 + n);
    check_product(dense, w.n_rows(), w.n_cols(), x, n, rig.linear(w, x, n), rel);
  }
}

// Decodes every weight exactly: with x the identity (n_cols tokens, the tiled matmul), y[t][r]
// = W[r][t] bit for bit, so the device's decode equals densify's f32 values.
inline void check_exact_decode(linear_rig& rig, const vk::device_linear& w, const std::vector<float>& dense) {
  const auto cols = static_cast<std::uint32_t>(w.n_cols());
  std::vector<float> x(static_cast<std::size_t>(cols) * cols, 0.0f);
  for (std::uint32_t c = 0; c < cols; ++c) x[static_cast<std::size_t>(c) * cols + c] = 1.0f;
  const std::vector<float> y = rig.linear(w, x, cols);
  std::int64_t bad = 0;
  for (std::int64_t r = 0; r < w.n_rows(); ++r)
    for (std::uint32_t c = 0; c < cols; ++c) {
      const float got = y[static_cast<std::size_t>(c) * static_cast<std::size_t>(w.n_rows()) + static_cast<std::size_t>(r)];
      const float want = dense[static_cast<std::size_t>(r * cols + c)];
      if (got != want && ++bad <= 5) UNSCOPED_INFO(w.format_name() << " W[" << r << "][" << c << "]: got " << got << ", densify " << want);
    }
  CHECK(bad == 0);
}

}  // namespace kick::test
