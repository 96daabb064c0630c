// The Vulkan objects a backend and its runners share: the instance, the opened device and the
// pipeline cache (pipelines outlive runners, so a second model reuses the compiled shaders).
#pragma once

#include <memory>
#include <string>

#include "kick/host.h"
#include "kick/status.h"
#include "device_linear.h"
#include "vk_device.h"
#include "vk_memory.h"
#include "vk_pipelines.h"

namespace kick::vk {

struct session_options {
  std::string device;                  // "" (best), an index, or a name substring
  bool validation = false;             // Khronos validation layer; messages are logged as warnings
  std::uint64_t max_binding_bytes = 0; // 0 = the device's maxStorageBufferRange
  sparse_storage compressed_values = sparse_storage::stored;  // how sparse values are stored
};

class session {
 public:
  // Creates the instance only; the device opens on first use (open_device), so listing devices
  // works on machines whose devices cannot run kick.
  static result<std::shared_ptr<session>> create(const session_options& options, const host& services);

  const instance& vulkan() const { return *instance_; }
  // Opens the selected device and its pipeline cache once; errors name the device and what it lacks.
  status open_device();
  const device& dev() const { return *device_; }
  pipeline_cache& pipelines() { return *pipelines_; }
  const session_options& options() const { return options_; }
  // The binding limit weights are split by: the option, or the device's maxStorageBufferRange.
  std::uint64_t max_binding_bytes() const;
  const host& services() const { return *host_; }

  // Pipelines must go before the device, the device before the instance.
  ~session();

 private:
  session() = default;
  session_options options_;
  const host* host_ = nullptr;
  std::unique_ptr<instance> instance_;
  std::unique_ptr<device> device_;
  std::unique_ptr<pipeline_cache> pipelines_;
};

}  // namespace kick::vk
