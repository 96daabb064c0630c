// The Vulkan core: device selection, memory, pipelines and one dispatch, on whatever device the
// machine has (lavapipe in CI).
#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "push/add.h"
#include "vulkan_test_env.h"

using namespace kick;

TEST_CASE("vulkan: the add shader runs and adds", "[vulkan]") {
  KICK_REQUIRE_VULKAN(env);
  const std::uint32_t n = 1000;  // not a multiple of the workgroup size
  std::vector<float> x(n), y(n);
  std::iota(x.begin(), x.end(), 0.0f);
  std::iota(y.begin(), y.end(), 100.0f);
  auto bx = env.pool->allocate(n * 4, vk::memory_kind::device, "x");
  auto by = env.pool->allocate(n * 4, vk::memory_kind::device, "y");
  REQUIRE(bx);
  REQUIRE(by);
  REQUIRE(env.pool->upload(*bx, x.data(), n * 4).ok());
  REQUIRE(env.pool->upload(*by, y.data(), n * 4).ok());
  const std::uint32_t wg = 64;
  auto p = env.pipelines->get("add", std::vector<std::uint32_t>{wg});
  REQUIRE(p);
  vk::descriptor_arena arena(*env.device);
  const vk::buffer_range buffers[] = {*bx, *by};
  auto set = arena.bind(**p, buffers);
  REQUIRE(set);
  auto stream = vk::command_stream::create(*env.device);
  REQUIRE(stream);
  REQUIRE((*stream)->begin().ok());
  (*stream)->dispatch(**p, *set, add_push{n}, (n + wg - 1) / wg);
  REQUIRE((*stream)->submit_and_wait().ok());
  std::vector<float> out(n);
  REQUIRE(env.pool->download(*by, out.data(), n * 4).ok());
  for (std::uint32_t i = 0; i < n; ++i) REQUIRE(out[i] == x[i] + y[i]);
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan: an unknown shader or device is an error that names it", "[vulkan]") {
  KICK_REQUIRE_VULKAN(env);
  auto p = env.pipelines->get("no_such_shader");
  REQUIRE_FALSE(p);
  CHECK_THAT(p.error().message(), Catch::Contains("no_such_shader"));
  auto d = env.instance->select("no-such-gpu-xyz");
  REQUIRE_FALSE(d);
  CHECK_THAT(d.error().message(), Catch::Contains("no-such-gpu-xyz"));
  CHECK_THAT(d.error().message(), Catch::Contains(env.device->caps().name));
  auto i = env.instance->select("99");
  REQUIRE_FALSE(i);
  CHECK_THAT(i.error().message(), Catch::Contains("99"));
}

TEST_CASE("vulkan: an allocation beyond the device's memory is a clear error", "[vulkan]") {
  KICK_REQUIRE_VULKAN(env);
  vk::memory_pool pool(*env.device);
  auto r = pool.allocate(std::uint64_t{1} << 44, vk::memory_kind::device, "a 16 TiB tensor");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == kick::status_code::resource_exhausted);
  CHECK_THAT(r.error().message(), Catch::Contains("a 16 TiB tensor") && Catch::Contains(env.device->caps().name));
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
