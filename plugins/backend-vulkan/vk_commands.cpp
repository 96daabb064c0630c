#include "vk_struct.h"
#include "vk_commands.h"

#include <fmt/format.h>

#include <cstdint>

namespace kick::vk {

result<std::unique_ptr<command_stream>> command_stream::create(const device& dev, std::uint32_t timestamp_slots) {
  std::unique_ptr<command_stream> s(new command_stream());
  s->device_ = &dev;
  auto info = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  info.commandPool = dev.command_pool();
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  if (VkResult r = vkAllocateCommandBuffers(dev.handle(), &info, &s->cmd_); r != VK_SUCCESS) return fail(dev.error("vkAllocateCommandBuffers", r));
  auto fence = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
  if (VkResult r = vkCreateFence(dev.handle(), &fence, nullptr, &s->fence_); r != VK_SUCCESS) return fail(dev.error("vkCreateFence", r));
  if (timestamp_slots > 0 && dev.caps().timestamps) {
    auto q = vk_struct<VkQueryPoolCreateInfo>(VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
    q.queryType = VK_QUERY_TYPE_TIMESTAMP;
    q.queryCount = timestamp_slots;
    if (VkResult r = vkCreateQueryPool(dev.handle(), &q, nullptr, &s->queries_); r != VK_SUCCESS) return fail(dev.error("vkCreateQueryPool", r));
    s->n_queries_ = timestamp_slots;
  }
  return s;
}

command_stream::~command_stream() {
  if (device_ == nullptr) return;
  const VkDevice d = device_->handle();
  if (queries_ != VK_NULL_HANDLE) vkDestroyQueryPool(d, queries_, nullptr);
  if (fence_ != VK_NULL_HANDLE) vkDestroyFence(d, fence_, nullptr);
  if (cmd_ != VK_NULL_HANDLE) vkFreeCommandBuffers(d, device_->command_pool(), 1, &cmd_);
}

status command_stream::begin() {
  auto info = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  if (VkResult r = vkBeginCommandBuffer(cmd_, &info); r != VK_SUCCESS) return device_->error("vkBeginCommandBuffer", r);
  if (queries_ != VK_NULL_HANDLE) vkCmdResetQueryPool(cmd_, queries_, 0, n_queries_);
  recording_ = true;
  return status::success();
}

void command_stream::dispatch_raw(const pipeline& p, VkDescriptorSet set, const void* push, std::uint32_t push_bytes,
                                  std::uint32_t groups_x, std::uint32_t groups_y, std::uint32_t groups_z) {
  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.handle);
  vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &set, 0, nullptr);
  if (push_bytes > 0) vkCmdPushConstants(cmd_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  vkCmdDispatch(cmd_, groups_x, groups_y, groups_z);
}

void command_stream::barrier() {
  auto b = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
  b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void command_stream::copy(const buffer_range& src, const buffer_range& dst, VkDeviceSize bytes) {
  VkBufferCopy region{src.offset, dst.offset, bytes};
  vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, 1, &region);
}

void command_stream::timestamp(std::uint32_t slot) {
  if (queries_ != VK_NULL_HANDLE && slot < n_queries_) vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, queries_, slot);
}

status command_stream::submit_and_wait() {
  if (!recording_) return status(status_code::internal, "vulkan: submit without a recording");
  recording_ = false;
  if (VkResult r = vkEndCommandBuffer(cmd_); r != VK_SUCCESS) return device_->error("vkEndCommandBuffer", r);
  auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd_;
  if (VkResult r = vkQueueSubmit(device_->queue(), 1, &submit, fence_); r != VK_SUCCESS) return device_->error("vkQueueSubmit", r);
  const VkResult r = vkWaitForFences(device_->handle(), 1, &fence_, VK_TRUE, UINT64_MAX);
  vkResetFences(device_->handle(), 1, &fence_);
  if (r != VK_SUCCESS) return device_->error("vkWaitForFences", r);
  return status::success();
}

result<double> command_stream::elapsed_seconds(std::uint32_t from_slot, std::uint32_t to_slot) const {
  if (queries_ == VK_NULL_HANDLE) return fail(status_code::unimplemented, fmt::format("vulkan device {}: no timestamps on its compute queue", device_->caps().name));
  std::uint64_t stamps[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const std::uint32_t slot = i == 0 ? from_slot : to_slot;
    if (VkResult r = vkGetQueryPoolResults(device_->handle(), queries_, slot, 1, sizeof(std::uint64_t), &stamps[i], sizeof(std::uint64_t),
                                           VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        r != VK_SUCCESS) {
      return fail(device_->error("vkGetQueryPoolResults", r));
    }
  }
  return static_cast<double>(stamps[1] - stamps[0]) * device_->caps().timestamp_period_ns * 1e-9;
}

}  // namespace kick::vk
