// Zero-initialised Vulkan structs with their sType set: vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_...).
#pragma once

#include <vulkan/vulkan.h>

namespace kick::vk {

template <class T>
T vk_struct(VkStructureType type) {
  T value{};
  value.sType = type;
  return value;
}

}  // namespace kick::vk
