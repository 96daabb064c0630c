// Device memory: a few large allocations, each one VkBuffer, handed out as aligned sub-ranges.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kick/status.h"
#include "vk_device.h"

namespace kick::vk {

// A sub-range of one of the pool's buffers; what a shader binding points at.
struct buffer_range {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
  std::byte* mapped = nullptr;  // host pointer to the range when its memory is host-visible
};

enum class memory_kind {
  device,  // device-local: weights, activations, caches (host-visible too on UMA devices and lavapipe)
  host,    // host-visible and coherent (cached when possible): readback and staging
};

class memory_pool {
 public:
  // block_bytes: size of each large allocation (clamped to the device's allocation limit).
  memory_pool(const device& dev, std::uint64_t block_bytes = std::uint64_t{256} << 20);
  ~memory_pool();
  memory_pool(const memory_pool&) = delete;
  memory_pool& operator=(const memory_pool&) = delete;

  // A range of `bytes` (rounded up to the binding alignment) for `what` (named in errors).
  // resource_exhausted when the device is out of memory, naming the size and the total in use.
  result<buffer_range> allocate(std::uint64_t bytes, memory_kind kind, const std::string& what);

  // Copies host data into / out of a range: directly when it is mapped, else through a staging
  // buffer and a transfer on the device's queue.
  status upload(const buffer_range& dst, const void* src, std::uint64_t bytes, std::uint64_t dst_offset = 0);
  status download(const buffer_range& src, void* dst, std::uint64_t bytes, std::uint64_t src_offset = 0);

  // Bytes handed out so far, by kind.
  std::uint64_t allocated_bytes(memory_kind kind) const { return used_[static_cast<int>(kind)]; }
  const device& owner() const { return *device_; }

 private:
  struct block {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkBuffer buffer = VK_NULL_HANDLE;
    std::uint64_t size = 0;
    std::uint64_t used = 0;
    std::byte* mapped = nullptr;
    memory_kind kind = memory_kind::device;
  };
  result<block*> new_block(std::uint64_t bytes, memory_kind kind, const std::string& what);
  status transfer(const buffer_range& src, const buffer_range& dst, std::uint64_t bytes);

  const device* device_;
  std::uint64_t block_bytes_;
  std::uint64_t alignment_;
  std::vector<block> blocks_;
  std::uint64_t used_[2] = {0, 0};
  buffer_range staging_;  // host-visible, for devices whose device-local memory is not mappable
};

}  // namespace kick::vk
