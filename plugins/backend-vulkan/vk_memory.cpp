#include "vk_struct.h"
#include "vk_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace kick::vk {

namespace {

constexpr std::uint64_t k_staging_bytes = std::uint64_t{16} << 20;

// The memory type for `kind`: device-local for device (preferring host-visible on devices whose
// heap is shared with the host), host-visible + coherent for host (preferring cached).
int pick_memory_type(const device& dev, std::uint32_t allowed, memory_kind kind) {
  const VkPhysicalDeviceMemoryProperties& mem = dev.memory();
  const bool uma = dev.caps().type == "integrated" || dev.caps().type == "cpu";
  const auto flags_of = [&mem](std::uint32_t i) { return mem.memoryTypes[i].propertyFlags; };
  const auto find = [&](VkMemoryPropertyFlags need, VkMemoryPropertyFlags want) {
    int fallback = -1;
    for (std::uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
      if ((allowed & (1u << i)) == 0 || (flags_of(i) & need) != need) continue;
      if ((flags_of(i) & want) == want) return static_cast<int>(i);
      if (fallback < 0) fallback = static_cast<int>(i);
    }
    return fallback;
  };
  if (kind == memory_kind::device) {
    const VkMemoryPropertyFlags want = uma ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT : 0;
    int t = find(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, want);
    return t >= 0 ? t : find(0, 0);
  }
  return find(VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
}

std::uint64_t round_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

memory_pool::memory_pool(const device& dev, std::uint64_t block_bytes)
    : device_(&dev),
      block_bytes_(std::min<std::uint64_t>(block_bytes, dev.caps().max_allocation_bytes > 0 ? dev.caps().max_allocation_bytes : block_bytes)),
      alignment_(std::max<std::uint64_t>(dev.caps().min_storage_buffer_offset_alignment, 16)) {}

memory_pool::~memory_pool() {
  for (block& b : blocks_) {
    if (b.mapped != nullptr) vkUnmapMemory(device_->handle(), b.memory);
    vkDestroyBuffer(device_->handle(), b.buffer, nullptr);
    vkFreeMemory(device_->handle(), b.memory, nullptr);
  }
}

result<memory_pool::block*> memory_pool::new_block(std::uint64_t bytes, memory_kind kind, const std::string& what) {
  const VkDevice d = device_->handle();
  block b;
  b.size = bytes;
  b.kind = kind;
  auto info = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  const auto oom = [&](const char* call, VkResult r) {
    return device_->error(fmt::format("{} for {} ({} MiB; {} MiB of device memory and {} MiB of host memory already in use)", call, what,
                                      (bytes + (1 << 20) - 1) >> 20, used_[0] >> 20, used_[1] >> 20),
                          r);
  };
  if (VkResult r = vkCreateBuffer(d, &info, nullptr, &b.buffer); r != VK_SUCCESS) return fail(oom("vkCreateBuffer", r));
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(d, b.buffer, &req);
  const int type = pick_memory_type(*device_, req.memoryTypeBits, kind);
  if (type < 0) {
    vkDestroyBuffer(d, b.buffer, nullptr);
    return fail(status_code::unavailable, fmt::format("vulkan device {} ({}): no {} memory type for storage buffers", device_->caps().index,
                                                      device_->caps().name, kind == memory_kind::device ? "device" : "host-visible"));
  }
  auto alloc = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = static_cast<std::uint32_t>(type);
  if (VkResult r = vkAllocateMemory(d, &alloc, nullptr, &b.memory); r != VK_SUCCESS) {
    vkDestroyBuffer(d, b.buffer, nullptr);
    return fail(oom("vkAllocateMemory", r));
  }
  if (VkResult r = vkBindBufferMemory(d, b.buffer, b.memory, 0); r != VK_SUCCESS) {
    vkDestroyBuffer(d, b.buffer, nullptr);
    vkFreeMemory(d, b.memory, nullptr);
    return fail(device_->error("vkBindBufferMemory", r));
  }
  if ((device_->memory().memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0) {
    void* p = nullptr;
    if (VkResult r = vkMapMemory(d, b.memory, 0, VK_WHOLE_SIZE, 0, &p); r != VK_SUCCESS) {
      vkDestroyBuffer(d, b.buffer, nullptr);
      vkFreeMemory(d, b.memory, nullptr);
      return fail(device_->error("vkMapMemory", r));
    }
    b.mapped = static_cast<std::byte*>(p);
  }
  blocks_.push_back(b);
  return &blocks_.back();
}

result<buffer_range> memory_pool::allocate(std::uint64_t bytes, memory_kind kind, const std::string& what) {
  const std::uint64_t size = round_up(std::max<std::uint64_t>(bytes, 4), alignment_);
  const device_caps& caps = device_->caps();
  // Sizes no allocation can satisfy are refused before the driver sees them.
  if ((caps.max_allocation_bytes > 0 && size > caps.max_allocation_bytes) ||
      (kind == memory_kind::device && caps.device_local_bytes > 0 && used_[0] + size > caps.device_local_bytes)) {
    return fail(status_code::resource_exhausted,
                fmt::format("vulkan device {} ({}): out of device memory: {} MiB for {} with {} MiB already in use; the device has {} MiB "
                            "of device-local memory and allocates at most {} MiB at once",
                            caps.index, caps.name, (size + (1 << 20) - 1) >> 20, what, used_[0] >> 20, caps.device_local_bytes >> 20,
                            caps.max_allocation_bytes >> 20));
  }
  block* chosen = nullptr;
  for (block& b : blocks_) {
    if (b.kind == kind && b.size - b.used >= size) {
      chosen = &b;
      break;
    }
  }
  if (chosen == nullptr) {
    auto made = new_block(std::max(size, kind == memory_kind::device ? block_bytes_ : std::min<std::uint64_t>(block_bytes_, 64 << 20)), kind, what);
    if (!made && size < block_bytes_) made = new_block(size, kind, what);  // a smaller block may still fit
    if (!made) return fail(made.error());
    chosen = *made;
  }
  buffer_range r;
  r.buffer = chosen->buffer;
  r.offset = chosen->used;
  r.size = size;
  r.mapped = chosen->mapped != nullptr ? chosen->mapped + chosen->used : nullptr;
  chosen->used += size;
  used_[static_cast<int>(kind)] += size;
  return r;
}

status memory_pool::transfer(const buffer_range& src, const buffer_range& dst, std::uint64_t bytes) {
  const VkDevice d = device_->handle();
  auto info = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  info.commandPool = device_->command_pool();
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  if (VkResult r = vkAllocateCommandBuffers(d, &info, &cmd); r != VK_SUCCESS) return device_->error("vkAllocateCommandBuffers", r);
  auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd, &begin);
  VkBufferCopy region{src.offset, dst.offset, bytes};
  vkCmdCopyBuffer(cmd, src.buffer, dst.buffer, 1, &region);
  vkEndCommandBuffer(cmd);
  auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  VkResult r = vkQueueSubmit(device_->queue(), 1, &submit, VK_NULL_HANDLE);
  if (r == VK_SUCCESS) r = vkQueueWaitIdle(device_->queue());
  vkFreeCommandBuffers(d, device_->command_pool(), 1, &cmd);
  return r == VK_SUCCESS ? status::success() : device_->error("buffer transfer", r);
}

status memory_pool::upload(const buffer_range& dst, const void* src, std::uint64_t bytes, std::uint64_t dst_offset) {
  if (bytes == 0) return status::success();
  if (dst_offset + bytes > dst.size) return status(status_code::internal, fmt::format("upload of {} bytes at {} overruns a {}-byte range", bytes, dst_offset, dst.size));
  if (dst.mapped != nullptr) {
    std::memcpy(dst.mapped + dst_offset, src, bytes);
    return status::success();
  }
  if (staging_.buffer == VK_NULL_HANDLE) {
    auto s = allocate(k_staging_bytes, memory_kind::host, "the staging buffer");
    if (!s) return s.error();
    staging_ = *s;
  }
  const auto* bytes_in = static_cast<const std::byte*>(src);
  for (std::uint64_t done = 0; done < bytes; done += k_staging_bytes) {
    const std::uint64_t n = std::min(k_staging_bytes, bytes - done);
    std::memcpy(staging_.mapped, bytes_in + done, n);
    buffer_range target = dst;
    target.offset += dst_offset + done;
    if (status s = transfer(staging_, target, n); !s.ok()) return s;
  }
  return status::success();
}

status memory_pool::download(const buffer_range& src, void* dst, std::uint64_t bytes, std::uint64_t src_offset) {
  if (bytes == 0) return status::success();
  if (src_offset + bytes > src.size) return status(status_code::internal, fmt::format("download of {} bytes at {} overruns a {}-byte range", bytes, src_offset, src.size));
  if (src.mapped != nullptr) {
    std::memcpy(dst, src.mapped + src_offset, bytes);
    return status::success();
  }
  if (staging_.buffer == VK_NULL_HANDLE) {
    auto s = allocate(k_staging_bytes, memory_kind::host, "the staging buffer");
    if (!s) return s.error();
    staging_ = *s;
  }
  auto* bytes_out = static_cast<std::byte*>(dst);
  for (std::uint64_t done = 0; done < bytes; done += k_staging_bytes) {
    const std::uint64_t n = std::min(k_staging_bytes, bytes - done);
    buffer_range from = src;
    from.offset += src_offset + done;
    if (status s = transfer(from, staging_, n); !s.ok()) return s;
    std::memcpy(bytes_out + done, staging_.mapped, n);
  }
  return status::success();
}

}  // namespace kick::vk
