#include "vk_struct.h"
#include "vk_pipelines.h"

#include <fmt/format.h>

namespace kick::vk {

namespace {
constexpr std::uint32_t k_sets_per_pool = 1024;
constexpr std::uint32_t k_buffers_per_pool = k_sets_per_pool * 8;
}  // namespace

pipeline_cache::pipeline_cache(const device& dev) : device_(&dev) {
  auto info = vk_struct<VkPipelineCacheCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO);
  if (vkCreatePipelineCache(dev.handle(), &info, nullptr, &cache_) != VK_SUCCESS) cache_ = VK_NULL_HANDLE;
}

pipeline_cache::~pipeline_cache() {
  const VkDevice d = device_->handle();
  for (auto& [key, p] : pipelines_) {
    vkDestroyPipeline(d, p->handle, nullptr);
    vkDestroyPipelineLayout(d, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
  }
  if (cache_ != VK_NULL_HANDLE) vkDestroyPipelineCache(d, cache_, nullptr);
}

result<const pipeline*> pipeline_cache::get(std::string_view shader, std::span<const std::uint32_t> spec) {
  auto key = std::make_pair(std::string(shader), std::vector<std::uint32_t>(spec.begin(), spec.end()));
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second.get();
  auto p = std::make_unique<pipeline>();
  p->label = fmt::format("{}[{}]", shader, fmt::join(spec, ","));
  const shader_binary* bin = find_shader(shader);
  if (bin == nullptr) return fail(status_code::internal, fmt::format("vulkan: no embedded shader named '{}' (pipeline {})", shader, p->label));
  p->n_bindings = bin->n_bindings;
  const VkDevice d = device_->handle();
  const auto error = [&](const char* call, VkResult r) { return fail(device_->error(fmt::format("{} for pipeline {}", call, p->label), r)); };

  std::vector<VkDescriptorSetLayoutBinding> bindings(bin->n_bindings);
  for (std::uint32_t i = 0; i < bin->n_bindings; ++i) {
    bindings[i] = VkDescriptorSetLayoutBinding{i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  auto set_info = vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
  set_info.bindingCount = bin->n_bindings;
  set_info.pBindings = bindings.data();
  if (VkResult r = vkCreateDescriptorSetLayout(d, &set_info, nullptr, &p->set_layout); r != VK_SUCCESS) return error("vkCreateDescriptorSetLayout", r);
  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, k_push_constant_bytes};
  auto layout_info = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &p->set_layout;
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push;
  if (VkResult r = vkCreatePipelineLayout(d, &layout_info, nullptr, &p->layout); r != VK_SUCCESS) {
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
    return error("vkCreatePipelineLayout", r);
  }
  auto module_info = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
  module_info.codeSize = bin->n_words * sizeof(std::uint32_t);
  module_info.pCode = bin->words;
  VkShaderModule module = VK_NULL_HANDLE;
  const auto cleanup = [&] {
    vkDestroyPipelineLayout(d, p->layout, nullptr);
    vkDestroyDescriptorSetLayout(d, p->set_layout, nullptr);
  };
  if (VkResult r = vkCreateShaderModule(d, &module_info, nullptr, &module); r != VK_SUCCESS) {
    cleanup();
    return error("vkCreateShaderModule", r);
  }
  std::vector<VkSpecializationMapEntry> entries(spec.size());
  for (std::uint32_t i = 0; i < spec.size(); ++i) entries[i] = VkSpecializationMapEntry{i, i * 4, 4};
  VkSpecializationInfo spec_info{static_cast<std::uint32_t>(entries.size()), entries.data(), spec.size() * 4, spec.data()};
  auto info = vk_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
  info.stage = vk_struct<VkPipelineShaderStageCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO);
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = spec.empty() ? nullptr : &spec_info;
  info.layout = p->layout;
  const VkResult r = vkCreateComputePipelines(d, cache_, 1, &info, nullptr, &p->handle);
  vkDestroyShaderModule(d, module, nullptr);
  if (r != VK_SUCCESS) {
    cleanup();
    return error("vkCreateComputePipelines", r);
  }
  const pipeline* out = p.get();
  pipelines_.emplace(std::move(key), std::move(p));
  return out;
}

descriptor_arena::descriptor_arena(const device& dev) : device_(&dev) {}

descriptor_arena::~descriptor_arena() {
  for (VkDescriptorPool pool : pools_) vkDestroyDescriptorPool(device_->handle(), pool, nullptr);
}

status descriptor_arena::grow() {
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, k_buffers_per_pool};
  auto info = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
  info.maxSets = k_sets_per_pool;
  info.poolSizeCount = 1;
  info.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  if (VkResult r = vkCreateDescriptorPool(device_->handle(), &info, nullptr, &pool); r != VK_SUCCESS) {
    return device_->error("vkCreateDescriptorPool", r);
  }
  pools_.push_back(pool);
  return status::success();
}

result<VkDescriptorSet> descriptor_arena::bind(const pipeline& p, std::span<const buffer_range> buffers) {
  if (buffers.size() != p.n_bindings) {
    return fail(status_code::internal, fmt::format("vulkan: pipeline {} takes {} buffers, given {}", p.label, p.n_bindings, buffers.size()));
  }
  VkDescriptorSet set = VK_NULL_HANDLE;
  for (;;) {
    if (current_ == pools_.size()) {
      if (status s = grow(); !s.ok()) return fail(s);
    }
    auto info = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
    info.descriptorPool = pools_[current_];
    info.descriptorSetCount = 1;
    info.pSetLayouts = &p.set_layout;
    const VkResult r = vkAllocateDescriptorSets(device_->handle(), &info, &set);
    if (r == VK_SUCCESS) break;
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) return fail(device_->error("vkAllocateDescriptorSets", r));
    ++current_;
  }
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    infos[i] = VkDescriptorBufferInfo{buffers[i].buffer, buffers[i].offset, buffers[i].size};
    writes[i] = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<std::uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device_->handle(), static_cast<std::uint32_t>(writes.size()), writes.data(), 0, nullptr);
  return set;
}

void descriptor_arena::reset() {
  for (VkDescriptorPool pool : pools_) vkResetDescriptorPool(device_->handle(), pool, 0);
  current_ = 0;
}

}  // namespace kick::vk
