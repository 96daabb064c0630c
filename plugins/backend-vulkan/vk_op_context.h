// What recording an op needs: the device, its pipelines, a descriptor arena and the command
// stream being recorded. Every record_* function of the backend takes one, appends its
// dispatches and ends with a barrier, so the next op may read what it wrote.
#pragma once

#include <cstdint>

#include "vk_commands.h"
#include "vk_device.h"
#include "vk_memory.h"
#include "vk_pipelines.h"

namespace kick::vk {

struct op_context {
  const device& dev;
  pipeline_cache& pipelines;
  descriptor_arena& arena;
  command_stream& stream;
  buffer_range dummy;  // a small buffer bound where a shader's optional array is absent

  // Workgroups of `per_group` invocations covering n items, clamped to the device limit.
  std::uint32_t groups_for(std::uint64_t n, std::uint32_t per_group) const {
    return static_cast<std::uint32_t>((n + per_group - 1) / per_group);
  }
};

}  // namespace kick::vk
