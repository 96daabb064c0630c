#include "vk_session.h"

#include <fmt/format.h>

#include <algorithm>

namespace kick::vk {

result<std::shared_ptr<session>> session::create(const session_options& options, const host& services) {
  std::shared_ptr<session> s(new session());
  s->options_ = options;
  s->host_ = &services;
  const host* log_to = &services;
  auto inst = instance::create(options.validation, [log_to](const std::string& message) {
    log_to->log(log_level::warn, "vulkan validation: " + message);
  });
  if (!inst) return fail(inst.error());
  s->instance_ = std::move(*inst);
  return s;
}

status session::open_device() {
  if (device_) return status::success();
  auto index = instance_->select(options_.device);
  if (!index) return index.error();
  auto dev = device::open(*instance_, *index);
  if (!dev) return dev.error();
  device_ = std::move(*dev);
  pipelines_ = std::make_unique<pipeline_cache>(*device_);
  host_->log(log_level::info, "vulkan: using device " + device_->caps().summary());
  return status::success();
}

std::uint64_t session::max_binding_bytes() const {
  const std::uint64_t device_limit = device_ ? device_->caps().max_storage_buffer_range : 0;
  if (options_.max_binding_bytes == 0) return device_limit;
  return device_limit == 0 ? options_.max_binding_bytes : std::min(device_limit, options_.max_binding_bytes);
}

session::~session() {
  pipelines_.reset();
  device_.reset();
  instance_.reset();
}

}  // namespace kick::vk
