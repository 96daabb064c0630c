// What the op conformance tests (ops_*_test.cpp) share: a descriptor arena, a command stream and
// an op_context on the test device, buffers filled from host vectors, readback, and seeded
// random data.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "vk_op_context.h"
#include "vulkan_test_env.h"

namespace kick::test {

class op_harness {
 public:
  explicit op_harness(vulkan_env& env) : env_(env), arena_(*env.device) {
    auto stream = vk::command_stream::create(*env.device);
    REQUIRE(stream);
    stream_ = std::move(*stream);
    auto dummy = env.pool->allocate(16, vk::memory_kind::device, "dummy");
    REQUIRE(dummy);
    ctx_ = std::make_unique<vk::op_context>(vk::op_context{*env.device, *env.pipelines, arena_, *stream_, *dummy});
  }

  // A device buffer holding `data`.
  template <class T>
  vk::buffer_range buffer(const std::vector<T>& data, const std::string& what) {
    static_assert(sizeof(T) == 4);
    auto r = env_.pool->allocate(data.size() * 4, vk::memory_kind::device, what);
    REQUIRE(r);
    if (!data.empty()) REQUIRE(env_.pool->upload(*r, data.data(), data.size() * 4).ok());
    return *r;
  }

  template <class T = float>
  std::vector<T> read(const vk::buffer_range& r, std::size_t n) {
    std::vector<T> out(n);
    REQUIRE(env_.pool->download(r, out.data(), n * 4).ok());
    return out;
  }

  // Starts recording; record ops into the returned context, then call run().
  vk::op_context& begin() {
    REQUIRE(stream_->begin().ok());
    return *ctx_;
  }
  void run() { REQUIRE(stream_->submit_and_wait().ok()); }

 private:
  vulkan_env& env_;
  vk::descriptor_arena arena_;
  std::unique_ptr<vk::command_stream> stream_;
  std::unique_ptr<vk::op_context> ctx_;
};

// n floats uniform in [lo, hi), from a fixed seed.
inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace kick::test
