// Conformance of the element-wise ops (residual add, bias add, SwiGLU, copy) against naive CPU
// loops, at sizes that are 1, prime, or not multiples of the workgroup size.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "ops.h"
#include "ops_test_support.h"

using namespace kick;

TEST_CASE("vulkan ops: add, add_bias and copy match the CPU exactly", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  for (const std::uint32_t n : {1u, 7u, 1000u, 65537u}) {
    INFO("n = " << n);
    const auto x = test::random_floats(n, 1);
    const auto y = test::random_floats(n, 2);
    auto bx = h.buffer(x, "x");
    auto by = h.buffer(y, "y");
    auto bcopy = h.buffer(std::vector<float>(n, -7.0f), "copy");
    auto& ctx = h.begin();
    REQUIRE(vk::record_add(ctx, by, bx, n).ok());
    REQUIRE(vk::record_copy(ctx, by, bcopy, n).ok());
    h.run();
    const auto sum = h.read(by, n);
    const auto copied = h.read(bcopy, n);
    for (std::uint32_t i = 0; i < n; ++i) {
      REQUIRE(sum[i] == y[i] + x[i]);
      REQUIRE(copied[i] == sum[i]);
    }
  }
  for (const auto& [n_tokens, width] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 1}, {3, 5}, {7, 300}, {2, 1031}}) {
    INFO("n_tokens = " << n_tokens << ", width = " << width);
    const auto y = test::random_floats(std::size_t{n_tokens} * width, 3);
    const auto bias = test::random_floats(width, 4);
    auto by = h.buffer(y, "y");
    auto bb = h.buffer(bias, "bias");
    REQUIRE(vk::record_add_bias(h.begin(), by, bb, n_tokens, width).ok());
    h.run();
    const auto out = h.read(by, y.size());
    for (std::uint32_t t = 0; t < n_tokens; ++t) {
      for (std::uint32_t i = 0; i < width; ++i) REQUIRE(out[t * width + i] == y[t * width + i] + bias[i]);
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: swiglu matches the CPU to 2e-6 relative", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  for (const std::uint32_t n : {1u, 1001u}) {
    INFO("n = " << n);
    auto gate = test::random_floats(n, 5, -12.0f, 12.0f);
    const auto up = test::random_floats(n, 6, -3.0f, 3.0f);
    gate[0] = n > 1 ? -100.0f : 3.0f;  // exp(100) overflows to inf: gate becomes -0 on both sides
    if (n > 2) gate[1] = 100.0f;
    auto bg = h.buffer(gate, "gate");
    auto bu = h.buffer(up, "up");
    REQUIRE(vk::record_swiglu(h.begin(), bg, bu, n).ok());
    h.run();
    const auto out = h.read(bg, n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const float expected = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
      INFO("i = " << i << ", gate " << gate[i] << ", up " << up[i]);
      REQUIRE(std::abs(out[i] - expected) <= 2e-6f * std::abs(expected) + 1e-30f);
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: a buffer too small is an error naming the op and the tensor", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  auto small = h.buffer(std::vector<float>(10), "small");
  auto big = h.buffer(std::vector<float>(2000), "big");
  auto& ctx = h.begin();
  const status s = vk::record_swiglu(ctx, big, small, 1000);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == status_code::invalid_argument);
  CHECK_THAT(s.message(), Catch::Contains("swiglu") && Catch::Contains("up") && Catch::Contains("4000"));
  const status b = vk::record_add_bias(ctx, big, small, 2, 1000);
  REQUIRE_FALSE(b.ok());
  CHECK_THAT(b.message(), Catch::Contains("add_bias") && Catch::Contains("bias"));
  h.run();
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
