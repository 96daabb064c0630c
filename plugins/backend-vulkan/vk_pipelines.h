// Compute pipelines built lazily from the embedded SPIR-V, cached by shader and specialization
// constants, and the descriptor sets that bind buffer ranges to them.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kick/status.h"
#include "vk_device.h"
#include "vk_memory.h"

namespace kick::vk {

// One SPIR-V module compiled at build time from shaders/ (see shaders/README.md).
struct shader_binary {
  const char* name;             // e.g. "matvec_gq"
  const std::uint32_t* words;
  std::size_t n_words;
  std::uint32_t n_bindings;     // storage buffers at set 0, bindings 0..n-1
};

// nullptr when no shader has that name.
const shader_binary* find_shader(std::string_view name);
std::span<const shader_binary> all_shaders();

// Bytes of push constants every pipeline layout declares (the guaranteed minimum).
inline constexpr std::uint32_t k_push_constant_bytes = 128;

struct pipeline {
  VkPipeline handle = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  std::uint32_t n_bindings = 0;
  std::string label;  // "matvec_gq[64,4,1]": shader and specialization constants
};

class pipeline_cache {
 public:
  explicit pipeline_cache(const device& dev);
  ~pipeline_cache();
  pipeline_cache(const pipeline_cache&) = delete;
  pipeline_cache& operator=(const pipeline_cache&) = delete;

  // The pipeline of `shader` with specialization constants constant_id 0..spec.size()-1 set
  // to `spec`, created on first use. Errors name the shader and the constants.
  result<const pipeline*> get(std::string_view shader, std::span<const std::uint32_t> spec = {});
  std::size_t size() const { return pipelines_.size(); }

 private:
  const device* device_;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::map<std::pair<std::string, std::vector<std::uint32_t>>, std::unique_ptr<pipeline>> pipelines_;
};

// Descriptor sets from growing pools, all freed together by reset() or the destructor.
class descriptor_arena {
 public:
  explicit descriptor_arena(const device& dev);
  ~descriptor_arena();
  descriptor_arena(const descriptor_arena&) = delete;
  descriptor_arena& operator=(const descriptor_arena&) = delete;

  // A set for `p` whose binding i is buffers[i] (buffers.size() must equal p.n_bindings).
  result<VkDescriptorSet> bind(const pipeline& p, std::span<const buffer_range> buffers);
  void reset();

 private:
  status grow();
  const device* device_;
  std::vector<VkDescriptorPool> pools_;
  std::size_t current_ = 0;
};

}  // namespace kick::vk
