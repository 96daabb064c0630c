// The Vulkan backend plugin: entry point, parameters, device listing and kernel timing.
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "kernel_timer.h"
#include "kick/plugin.h"
#include "vk_runner.h"
#include "vk_session.h"

namespace kick::vk {

class vulkan_backend final : public backend {
 public:
  // Params (validated by the host against backend-vulkan.toml): device, validation, max_binding_mib.
  static result<std::unique_ptr<vulkan_backend>> create(const host& services, const param_map& params) {
    auto device = params.get_string("device");
    if (!device) return fail(device.error());
    auto validation = params.get_bool("validation");
    if (!validation) return fail(validation.error());
    auto max_binding = params.get_int("max_binding_mib");
    if (!max_binding) return fail(max_binding.error());
    if (*max_binding < 0) return fail(status_code::invalid_argument, fmt::format("parameter max_binding_mib is {}, accepted >= 0", *max_binding));
    auto values = params.get_string("compressed_values");
    if (!values) return fail(values.error());
    if (*values != "stored" && *values != "f32" && *values != "f16") {
      return fail(status_code::invalid_argument, fmt::format("parameter compressed_values is '{}', accepted stored, f32 or f16", *values));
    }
    session_options options;
    options.compressed_values = *values == "f16" ? sparse_storage::f16 : *values == "f32" ? sparse_storage::f32 : sparse_storage::stored;
    options.device = *device;
    const char* env = std::getenv("KICK_VULKAN_VALIDATION");
    options.validation = *validation || (env != nullptr && std::string(env) == "1");
    options.max_binding_bytes = static_cast<std::uint64_t>(*max_binding) << 20;
    auto s = session::create(options, services);
    if (!s) return fail(s.error());
    return std::make_unique<vulkan_backend>(std::move(*s));
  }

  explicit vulkan_backend(std::shared_ptr<session> s) : session_(std::move(s)) {}

  std::string describe() const override {
    const session& s = *session_;
    auto index = s.vulkan().select(s.options().device);
    if (!index) return "vulkan: " + index.error().message();
    return "vulkan: " + s.vulkan().devices()[*index].summary();
  }

  result<std::vector<std::string>> devices() const override {
    std::vector<std::string> lines;
    for (const device_caps& d : session_->vulkan().devices()) {
      std::string line = d.summary();
      if (auto missing = d.missing_requirements(); !missing.empty()) line += fmt::format(" [unusable: lacks {}]", fmt::join(missing, ", "));
      lines.push_back(std::move(line));
    }
    if (lines.empty()) return fail(status_code::unavailable, "vulkan: the Vulkan loader found no device (install a GPU driver, or mesa-vulkan-drivers for lavapipe)");
    return lines;
  }

  result<std::unique_ptr<model_runner>> load(const model_view& model, const runner_options& options) override {
    auto runner = vk_runner::create(session_, model, options);
    if (!runner) return fail(runner.error());
    return std::unique_ptr<model_runner>(std::move(*runner));
  }

  result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats) override {
    if (status s = session_->open_device(); !s.ok()) return fail(s);
    return vk::time_linear(*session_, weight, n_tokens, warmup, repeats);
  }

  result<double> copy_bandwidth() override {
    if (status s = session_->open_device(); !s.ok()) return fail(s);
    return vk::copy_bandwidth(*session_);
  }

  ~vulkan_backend() override {
    if (session_ && session_->vulkan().validation() && session_->vulkan().validation_messages() > 0) {
      session_->services().log(log_level::warn, fmt::format("vulkan: the validation layer reported {} messages", session_->vulkan().validation_messages()));
    }
  }

 private:
  std::shared_ptr<session> session_;
};

}  // namespace kick::vk

using vulkan_backend = kick::vk::vulkan_backend;
KICK_BACKEND_PLUGIN(vulkan_backend, "vulkan", "0.1.0")
