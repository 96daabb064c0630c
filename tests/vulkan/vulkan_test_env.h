// The Vulkan device the conformance tests run on: opened once per test process, or a visible
// skip when this machine has no Vulkan driver. KICK_VULKAN_DEVICE picks a device (index or
// name substring, as the backend's `device` param); KICK_VULKAN_VALIDATION=1 enables the
// Khronos validation layer, and every test then checks that it reported nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/test_support.h"
#include "vk_commands.h"
#include "vk_device.h"
#include "vk_memory.h"
#include "vk_pipelines.h"

namespace kick::test {

struct vulkan_env {
  std::unique_ptr<vk::instance> instance;
  std::unique_ptr<vk::device> device;
  std::unique_ptr<vk::memory_pool> pool;
  std::unique_ptr<vk::pipeline_cache> pipelines;
  std::string skip_reason;  // non-empty when no device could be opened
};

// The process-wide environment (created on first use).
vulkan_env& vulkan();

// Validation messages reported so far (0 when validation is off).
std::int64_t vulkan_validation_messages();

}  // namespace kick::test

// Declares `env` as the Vulkan environment, or skips the test visibly and returns.
#define KICK_REQUIRE_VULKAN(env)                         \
  ::kick::test::vulkan_env& env = ::kick::test::vulkan(); \
  if (!env.skip_reason.empty()) {                         \
    ::kick::test::skip(env.skip_reason);                  \
    return;                                               \
  }
