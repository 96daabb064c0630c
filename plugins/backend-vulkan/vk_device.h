// The Vulkan instance, the devices it sees with their capabilities, and one opened device.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kick/status.h"

namespace kick::vk {

// "VK_ERROR_DEVICE_LOST" etc.
const char* result_name(VkResult r);

// What kick reads from a physical device: identity, the features its kernels may use, limits.
struct device_caps {
  std::uint32_t index = 0;  // position in vkEnumeratePhysicalDevices
  std::string name;
  std::string type;         // "discrete", "integrated", "virtual", "cpu", "other"
  std::uint32_t vendor_id = 0;
  std::uint32_t device_id = 0;
  std::string driver;       // driver name and info, e.g. "llvmpipe: Mesa 22.3.6 (LLVM 15.0.6)"
  std::uint32_t api_version = 0;

  bool shader_float16 = false;
  bool shader_int8 = false;
  bool storage_8bit = false;
  bool storage_16bit = false;
  bool integer_dot_product = false;       // VK_KHR_shader_integer_dot_product present
  bool integer_dot_accelerated = false;   // 4x8-bit packed signed dot product is native
  std::uint32_t subgroup_size = 0;
  std::uint32_t subgroup_size_min = 0;
  std::uint32_t subgroup_size_max = 0;
  bool subgroup_arithmetic = false;       // subgroupAdd etc. in compute shaders
  bool subgroup_shuffle = false;
  bool timestamps = false;                // compute queue writes timestamps
  double timestamp_period_ns = 1.0;

  std::uint64_t max_storage_buffer_range = 0;
  std::uint64_t min_storage_buffer_offset_alignment = 0;
  std::uint64_t max_allocation_bytes = 0;
  std::uint64_t device_local_bytes = 0;  // largest device-local heap
  std::uint32_t max_shared_memory_bytes = 0;
  std::uint32_t max_workgroup_invocations = 0;
  std::uint32_t max_workgroup_count_x = 0;
  std::uint32_t max_push_constants_bytes = 0;

  // One line: "0: llvmpipe (LLVM 15.0.6, 256 bits) (cpu, Mesa ..., 2 GiB, subgroup 8, fp16 int8 ...)".
  std::string summary() const;
  // What this device lacks of what kick's shaders require (empty when usable).
  std::vector<std::string> missing_requirements() const;
};

// The Vulkan instance. With validation on, VK_LAYER_KHRONOS_validation is enabled and every
// message it reports is counted and passed to `on_message`.
class instance {
 public:
  using message_sink = std::function<void(const std::string&)>;

  // unavailable when no Vulkan loader or driver exists, naming what to install; also when
  // validation is requested and the layer is absent.
  static result<std::unique_ptr<instance>> create(bool validation, message_sink on_message);
  ~instance();
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  VkInstance handle() const { return instance_; }
  const std::vector<device_caps>& devices() const { return devices_; }
  const std::vector<VkPhysicalDevice>& physical_devices() const { return physical_; }
  bool validation() const { return messenger_ != VK_NULL_HANDLE; }
  std::int64_t validation_messages() const { return sink_ ? sink_->count.load() : 0; }

  // Picks a device: "" = the first discrete GPU, else the first integrated, else device 0; an
  // all-digit string is an index; anything else is a case-insensitive substring of the name.
  // not_found lists the devices there are.
  result<std::uint32_t> select(const std::string& spec) const;

 private:
  instance() = default;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  std::vector<VkPhysicalDevice> physical_;
  std::vector<device_caps> devices_;

 public:
  struct sink_state {  // what the validation callback sees
    message_sink sink;
    std::atomic<std::int64_t> count{0};
  };

 private:
  std::unique_ptr<sink_state> sink_;  // the debug messenger's user data
};

// An opened logical device with one compute queue and a command pool.
class device {
 public:
  // unavailable when the device misses a requirement (names the device and each missing item).
  static result<std::unique_ptr<device>> open(const instance& inst, std::uint32_t index);
  ~device();
  device(const device&) = delete;
  device& operator=(const device&) = delete;

  VkDevice handle() const { return device_; }
  VkPhysicalDevice physical() const { return physical_; }
  VkQueue queue() const { return queue_; }
  std::uint32_t queue_family() const { return queue_family_; }
  VkCommandPool command_pool() const { return pool_; }
  const device_caps& caps() const { return caps_; }
  const VkPhysicalDeviceMemoryProperties& memory() const { return memory_; }

  // An error naming this device and the call: "vulkan device 0 (llvmpipe ...): vkQueueSubmit:
  // VK_ERROR_DEVICE_LOST". Out-of-memory results map to resource_exhausted, device loss to
  // unavailable, everything else to internal.
  status error(const std::string& what, VkResult r) const;

 private:
  device() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t queue_family_ = 0;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  device_caps caps_;
  VkPhysicalDeviceMemoryProperties memory_{};
};

}  // namespace kick::vk
