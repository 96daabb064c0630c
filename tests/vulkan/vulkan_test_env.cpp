#include "vulkan_test_env.h"

#include <cstdio>
#include <cstdlib>

namespace kick::test {

vulkan_env& vulkan() {
  static vulkan_env env = [] {
    vulkan_env e;
    const char* validation = std::getenv("KICK_VULKAN_VALIDATION");
    const bool validate = validation != nullptr && std::string(validation) == "1";
    auto inst = vk::instance::create(validate, [](const std::string& m) { std::fprintf(stderr, "vulkan validation: %s\n", m.c_str()); });
    if (!inst) {
      e.skip_reason = "no Vulkan: " + inst.error().message();
      return e;
    }
    const char* spec = std::getenv("KICK_VULKAN_DEVICE");
    auto index = (*inst)->select(spec != nullptr ? spec : "");
    if (!index) {
      e.skip_reason = "no Vulkan device: " + index.error().message();
      return e;
    }
    auto dev = vk::device::open(**inst, *index);
    if (!dev) {
      e.skip_reason = "Vulkan device unusable: " + dev.error().message();
      return e;
    }
    e.instance = std::move(*inst);
    e.device = std::move(*dev);
    e.pool = std::make_unique<vk::memory_pool>(*e.device);
    e.pipelines = std::make_unique<vk::pipeline_cache>(*e.device);
    return e;
  }();
  return env;
}

std::int64_t vulkan_validation_messages() {
  vulkan_env& e = vulkan();
  return e.instance ? e.instance->validation_messages() : 0;
}

}  // namespace kick::test
