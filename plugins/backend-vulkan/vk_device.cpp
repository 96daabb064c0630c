#include "vk_struct.h"
#include "vk_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kick::vk {

const char* result_name(VkResult r) {
  switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
    case VK_ERROR_UNKNOWN: return "VK_ERROR_UNKNOWN";
    default: return "VkResult(unknown)";
  }
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

bool has_extension(VkPhysicalDevice pd, const char* name) {
  std::uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> ext(n);
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, ext.data());
  return std::any_of(ext.begin(), ext.end(), [name](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

device_caps query_caps(VkPhysicalDevice pd, std::uint32_t index) {
  device_caps c;
  c.index = index;
  auto subgroup = vk_struct<VkPhysicalDeviceSubgroupProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES);
  auto driver = vk_struct<VkPhysicalDeviceDriverProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES);
  subgroup.pNext = &driver;
  auto size_control = vk_struct<VkPhysicalDeviceSubgroupSizeControlProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES);
  auto dot = vk_struct<VkPhysicalDeviceShaderIntegerDotProductProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES);
  auto props = vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
  props.pNext = &subgroup;
  VkPhysicalDeviceProperties base{};
  vkGetPhysicalDeviceProperties(pd, &base);
  const bool v13 = base.apiVersion >= VK_API_VERSION_1_3;
  c.integer_dot_product = v13 || has_extension(pd, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  if (v13) {
    driver.pNext = &size_control;
    size_control.pNext = &dot;
  }
  vkGetPhysicalDeviceProperties2(pd, &props);
  const VkPhysicalDeviceProperties& p = props.properties;
  c.name = p.deviceName;
  c.type = type_name(p.deviceType);
  c.vendor_id = p.vendorID;
  c.device_id = p.deviceID;
  c.api_version = p.apiVersion;
  c.driver = fmt::format("{}: {}", driver.driverName, driver.driverInfo);
  c.subgroup_size = subgroup.subgroupSize;
  c.subgroup_size_min = v13 ? size_control.minSubgroupSize : subgroup.subgroupSize;
  c.subgroup_size_max = v13 ? size_control.maxSubgroupSize : subgroup.subgroupSize;
  c.subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) != 0 &&
                          (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) != 0;
  c.subgroup_shuffle = (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) != 0;
  c.integer_dot_accelerated = v13 && dot.integerDotProduct4x8BitPackedSignedAccelerated == VK_TRUE;
  c.timestamp_period_ns = p.limits.timestampPeriod;
  c.max_storage_buffer_range = p.limits.maxStorageBufferRange;
  c.min_storage_buffer_offset_alignment = p.limits.minStorageBufferOffsetAlignment;
  c.max_shared_memory_bytes = p.limits.maxComputeSharedMemorySize;
  c.max_workgroup_invocations = p.limits.maxComputeWorkGroupInvocations;
  c.max_workgroup_count_x = p.limits.maxComputeWorkGroupCount[0];
  c.max_push_constants_bytes = p.limits.maxPushConstantsSize;

  auto m3 = vk_struct<VkPhysicalDeviceMaintenance3Properties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES);
  auto props_m3 = vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
  props_m3.pNext = &m3;
  vkGetPhysicalDeviceProperties2(pd, &props_m3);
  c.max_allocation_bytes = m3.maxMemoryAllocationSize;

  auto f12 = vk_struct<VkPhysicalDeviceVulkan12Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
  auto f11 = vk_struct<VkPhysicalDeviceVulkan11Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES);
  f12.pNext = &f11;
  auto features = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  features.pNext = &f12;
  if (p.apiVersion >= VK_API_VERSION_1_2) {
    vkGetPhysicalDeviceFeatures2(pd, &features);
    c.shader_float16 = f12.shaderFloat16 == VK_TRUE;
    c.shader_int8 = f12.shaderInt8 == VK_TRUE;
    c.storage_8bit = f12.storageBuffer8BitAccess == VK_TRUE;
    c.storage_16bit = f11.storageBuffer16BitAccess == VK_TRUE;
  }

  VkPhysicalDeviceMemoryProperties mem{};
  vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  for (std::uint32_t h = 0; h < mem.memoryHeapCount; ++h) {
    if ((mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0) {
      c.device_local_bytes = std::max<std::uint64_t>(c.device_local_bytes, mem.memoryHeaps[h].size);
    }
  }
  std::uint32_t n_families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &n_families, nullptr);
  std::vector<VkQueueFamilyProperties> families(n_families);
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &n_families, families.data());
  for (const VkQueueFamilyProperties& f : families) {
    if ((f.queueFlags & VK_QUEUE_COMPUTE_BIT) != 0) {
      c.timestamps = f.timestampValidBits > 0;
      break;
    }
  }
  return c;
}

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT, const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void* user) {
  if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return VK_FALSE;
  auto* sink = static_cast<instance::sink_state*>(user);
  sink->count.fetch_add(1);
  if (sink->sink) sink->sink(data != nullptr && data->pMessage != nullptr ? data->pMessage : "(no message)");
  return VK_FALSE;
}

}  // namespace

std::string device_caps::summary() const {
  std::string features;
  const auto add = [&features](bool on, const char* what) {
    if (on) features.append(features.empty() ? "" : " ").append(what);
  };
  add(shader_float16, "fp16");
  add(shader_int8, "int8");
  add(storage_16bit, "storage16");
  add(storage_8bit, "storage8");
  add(integer_dot_accelerated, "int-dot");
  add(subgroup_arithmetic, "subgroup-arith");
  return fmt::format("{}: {} ({}, {}, Vulkan {}.{}.{}, {} MiB device-local, subgroup {}..{}, binding {} MiB, shared {} KiB; {})", index,
                     name, type, driver, VK_API_VERSION_MAJOR(api_version), VK_API_VERSION_MINOR(api_version),
                     VK_API_VERSION_PATCH(api_version), device_local_bytes >> 20, subgroup_size_min, subgroup_size_max,
                     max_storage_buffer_range >> 20, max_shared_memory_bytes >> 10, features.empty() ? "no optional features" : features);
}

std::vector<std::string> device_caps::missing_requirements() const {
  std::vector<std::string> missing;
  if (api_version < VK_API_VERSION_1_1) missing.push_back("Vulkan 1.1");
  if (!subgroup_arithmetic) missing.push_back("subgroup arithmetic in compute shaders (VK_SUBGROUP_FEATURE_ARITHMETIC_BIT)");
  if (max_shared_memory_bytes < 16384) missing.push_back(fmt::format("16 KiB of shared memory (has {})", max_shared_memory_bytes));
  if (max_workgroup_invocations < 256) missing.push_back(fmt::format("256 invocations per workgroup (has {})", max_workgroup_invocations));
  if (max_push_constants_bytes < 128) missing.push_back(fmt::format("128 bytes of push constants (has {})", max_push_constants_bytes));
  return missing;
}

result<std::unique_ptr<instance>> instance::create(bool validation, message_sink on_message) {
  std::unique_ptr<instance> inst(new instance());
  std::uint32_t loader_version = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS) loader_version = VK_API_VERSION_1_0;
  auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
  app.pApplicationName = "kick";
  app.pEngineName = "kick";
  app.apiVersion = loader_version >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : VK_API_VERSION_1_2;
  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  if (validation) {
    std::uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, nullptr);
    std::vector<VkLayerProperties> props(n);
    vkEnumerateInstanceLayerProperties(&n, props.data());
    const bool found = std::any_of(props.begin(), props.end(), [](const VkLayerProperties& l) {
      return std::strcmp(l.layerName, "VK_LAYER_KHRONOS_validation") == 0;
    });
    if (!found) {
      return fail(status_code::unavailable,
                  "vulkan: validation requested but VK_LAYER_KHRONOS_validation is not installed (Debian: vulkan-validationlayers)");
    }
    layers.push_back("VK_LAYER_KHRONOS_validation");
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  auto info = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  if (VkResult r = vkCreateInstance(&info, nullptr, &inst->instance_); r != VK_SUCCESS) {
    return fail(status_code::unavailable,
                fmt::format("vulkan: vkCreateInstance: {}: no usable Vulkan driver (install a GPU driver, or mesa-vulkan-drivers "
                            "for lavapipe)",
                            result_name(r)));
  }
  if (validation) {
    inst->sink_ = std::make_unique<sink_state>();
    inst->sink_->sink = std::move(on_message);
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(inst->instance_, "vkCreateDebugUtilsMessengerEXT"));
    auto m = vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
    m.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    m.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    m.pfnUserCallback = on_debug_message;
    m.pUserData = inst->sink_.get();
    if (create_messenger == nullptr || create_messenger(inst->instance_, &m, nullptr, &inst->messenger_) != VK_SUCCESS) {
      return fail(status_code::unavailable, "vulkan: validation requested but the debug messenger could not be created");
    }
  }
  std::uint32_t n = 0;
  vkEnumeratePhysicalDevices(inst->instance_, &n, nullptr);
  inst->physical_.resize(n);
  vkEnumeratePhysicalDevices(inst->instance_, &n, inst->physical_.data());
  for (std::uint32_t i = 0; i < n; ++i) inst->devices_.push_back(query_caps(inst->physical_[i], i));
  return inst;
}

instance::~instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy != nullptr) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

result<std::uint32_t> instance::select(const std::string& spec) const {
  if (devices_.empty()) {
    return fail(status_code::unavailable, "vulkan: no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers for lavapipe)");
  }
  std::string listing;
  for (const device_caps& d : devices_) listing.append(listing.empty() ? "" : "; ").append(fmt::format("{}: {}", d.index, d.name));
  if (spec.empty()) {
    for (const char* preferred : {"discrete", "integrated"}) {
      for (const device_caps& d : devices_) {
        if (d.type == preferred) return d.index;
      }
    }
    return 0u;
  }
  if (std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    const unsigned long index = std::stoul(spec);
    if (index >= devices_.size()) {
      return fail(status_code::not_found, fmt::format("vulkan: device index {} is out of range; devices: {}", spec, listing));
    }
    return static_cast<std::uint32_t>(index);
  }
  for (const device_caps& d : devices_) {
    if (lower(d.name).find(lower(spec)) != std::string::npos) return d.index;
  }
  return fail(status_code::not_found, fmt::format("vulkan: no device name contains '{}'; devices: {}", spec, listing));
}

result<std::unique_ptr<device>> device::open(const instance& inst, std::uint32_t index) {
  std::unique_ptr<device> dev(new device());
  dev->physical_ = inst.physical_devices().at(index);
  dev->caps_ = inst.devices().at(index);
  const std::string label = fmt::format("vulkan device {} ({})", index, dev->caps_.name);
  if (auto missing = dev->caps_.missing_requirements(); !missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list.append(list.empty() ? "" : ", ").append(m);
    return fail(status_code::unavailable, fmt::format("{} lacks what kick's shaders need: {}", label, list));
  }
  std::uint32_t n_families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(dev->physical_, &n_families, nullptr);
  std::vector<VkQueueFamilyProperties> families(n_families);
  vkGetPhysicalDeviceQueueFamilyProperties(dev->physical_, &n_families, families.data());
  std::uint32_t family = n_families;
  // A compute-only family first (dedicated async compute), else any with compute.
  for (std::uint32_t i = 0; i < n_families && family == n_families; ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) != 0 && (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) == 0) family = i;
  }
  for (std::uint32_t i = 0; i < n_families && family == n_families; ++i) {
    if ((families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) != 0) family = i;
  }
  if (family == n_families) return fail(status_code::unavailable, label + " has no compute queue");
  dev->queue_family_ = family;
  const float priority = 1.0f;
  auto queue = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  queue.queueFamilyIndex = family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  auto info = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue;
  if (VkResult r = vkCreateDevice(dev->physical_, &info, nullptr, &dev->device_); r != VK_SUCCESS) {
    return fail(status_code::unavailable, fmt::format("{}: vkCreateDevice: {}", label, result_name(r)));
  }
  vkGetDeviceQueue(dev->device_, family, 0, &dev->queue_);
  auto pool = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = family;
  if (VkResult r = vkCreateCommandPool(dev->device_, &pool, nullptr, &dev->pool_); r != VK_SUCCESS) {
    return fail(dev->error("vkCreateCommandPool", r));
  }
  vkGetPhysicalDeviceMemoryProperties(dev->physical_, &dev->memory_);
  return dev;
}

device::~device() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    if (pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
}

status device::error(const std::string& what, VkResult r) const {
  status_code code = status_code::internal;
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_POOL_MEMORY) {
    code = status_code::resource_exhausted;
  } else if (r == VK_ERROR_DEVICE_LOST) {
    code = status_code::unavailable;
  }
  return status(code, fmt::format("vulkan device {} ({}): {}: {}", caps_.index, caps_.name, what, result_name(r)));
}

}  // namespace kick::vk
