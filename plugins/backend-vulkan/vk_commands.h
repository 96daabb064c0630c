// Recording compute work into one command buffer, submitting it and waiting, with optional
// timestamps around parts of it.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>

#include "kick/status.h"
#include "vk_device.h"
#include "vk_memory.h"
#include "vk_pipelines.h"

namespace kick::vk {

class command_stream {
 public:
  static result<std::unique_ptr<command_stream>> create(const device& dev, std::uint32_t timestamp_slots = 2);
  ~command_stream();
  command_stream(const command_stream&) = delete;
  command_stream& operator=(const command_stream&) = delete;

  // Starts recording (the previous recording must have been submitted).
  status begin();
  // One dispatch of `p` with descriptor set `set` and push constants `push` (at most
  // k_push_constant_bytes), groups_x * groups_y * groups_z workgroups.
  template <class Push>
  void dispatch(const pipeline& p, VkDescriptorSet set, const Push& push, std::uint32_t groups_x, std::uint32_t groups_y = 1,
                std::uint32_t groups_z = 1) {
    static_assert(sizeof(Push) <= k_push_constant_bytes, "push constants larger than 128 bytes");
    dispatch_raw(p, set, &push, sizeof(Push), groups_x, groups_y, groups_z);
  }
  void dispatch_raw(const pipeline& p, VkDescriptorSet set, const void* push, std::uint32_t push_bytes, std::uint32_t groups_x,
                    std::uint32_t groups_y, std::uint32_t groups_z);
  // Makes every earlier shader or transfer write visible to every later shader or transfer.
  void barrier();
  void copy(const buffer_range& src, const buffer_range& dst, VkDeviceSize bytes);
  void timestamp(std::uint32_t slot);
  // Ends recording, submits and waits for completion.
  status submit_and_wait();
  // Seconds between two timestamps of the last submission.
  result<double> elapsed_seconds(std::uint32_t from_slot, std::uint32_t to_slot) const;

 private:
  command_stream() = default;
  const device* device_ = nullptr;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkQueryPool queries_ = VK_NULL_HANDLE;
  std::uint32_t n_queries_ = 0;
  bool recording_ = false;
};

}  // namespace kick::vk
