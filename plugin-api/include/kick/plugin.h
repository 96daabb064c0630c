// kick plugin API: what a plugin's one .cpp includes.
//
//   class my_method final : public kick::method { ... };
//   // a factory: static kick::result<std::unique_ptr<my_method>> create(const kick::host&, const kick::param_map&);
//   KICK_METHOD_PLUGIN(my_method, "my-method", "0.1.0")
//
// The macro defines the exported entry symbol and wraps the plugin's objects in guards that turn
// any escaping exception into status_code::internal, so no exception crosses into the host.
#pragma once

#include <exception>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "kick/abi.h"
#include "kick/backend.h"
#include "kick/host.h"
#include "kick/lm.h"
#include "kick/method.h"
#include "kick/model.h"
#include "kick/params.h"
#include "kick/status.h"
#include "kick/task.h"
#include "kick/tensor.h"

#define KICK_EXPORT extern "C" __attribute__((visibility("default")))

namespace kick::detail {

// Runs f() and converts any exception into an internal error of the return type.
template <class F>
auto guarded_call(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return fail(status_code::internal, std::string("exception: ") + e.what());
  } catch (...) {
    return fail(status_code::internal, "unknown exception");
  }
}

class guarded_runner final : public model_runner {
 public:
  explicit guarded_runner(std::unique_ptr<model_runner> inner) : inner_(std::move(inner)) {}
  std::int64_t context_length() const override { return inner_->context_length(); }
  std::int64_t vocab_size() const override { return inner_->vocab_size(); }
  status eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode,
              std::span<float> logits_out) override {
    return guarded_call([&]() -> status { return inner_->eval(tokens, n_past, mode, logits_out); });
  }
  status score(std::span<const std::int32_t> tokens, std::int64_t n_past, std::span<const std::int32_t> targets,
               std::span<double> logprob_out, std::span<std::int32_t> argmax_out) override {
    return guarded_call([&]() -> status { return inner_->score(tokens, n_past, targets, logprob_out, argmax_out); });
  }

 private:
  std::unique_ptr<model_runner> inner_;
};

class guarded_backend final : public backend {
 public:
  explicit guarded_backend(std::unique_ptr<backend> inner) : inner_(std::move(inner)) {}
  std::string describe() const override {
    try {
      return inner_->describe();
    } catch (...) {
      return "(describe failed)";
    }
  }
  result<std::unique_ptr<model_runner>> load(const model_view& model, const runner_options& options) override {
    return guarded_call([&]() -> result<std::unique_ptr<model_runner>> {
      auto runner = inner_->load(model, options);
      if (!runner) return std::unexpected(runner.error());
      return std::unique_ptr<model_runner>(std::make_unique<guarded_runner>(std::move(*runner)));
    });
  }
  result<std::vector<std::string>> devices() const override {
    return guarded_call([&]() -> result<std::vector<std::string>> { return inner_->devices(); });
  }
  result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats) override {
    return guarded_call([&]() -> result<kernel_timing> { return inner_->time_linear(weight, n_tokens, warmup, repeats); });
  }
  result<double> copy_bandwidth() override {
    return guarded_call([&]() -> result<double> { return inner_->copy_bandwidth(); });
  }

 private:
  std::unique_ptr<backend> inner_;
};

class guarded_task final : public task {
 public:
  explicit guarded_task(std::unique_ptr<task> inner) : inner_(std::move(inner)) {}
  result<task_result> run(task_context& context) override {
    return guarded_call([&]() -> result<task_result> { return inner_->run(context); });
  }

 private:
  std::unique_ptr<task> inner_;
};

class guarded_method final : public method {
 public:
  explicit guarded_method(std::unique_ptr<method> inner) : inner_(std::move(inner)) {}
  result<method_output> compress(const layer_info& layer, matrix_f32 weight, const layer_stats& stats) override {
    return guarded_call([&]() -> result<method_output> { return inner_->compress(layer, weight, stats); });
  }

 private:
  std::unique_ptr<method> inner_;
};

// Calls Impl::create and wraps the object in its guard.
template <class Base, class Guard, class Impl>
result<std::unique_ptr<Base>> create_guarded(const host& services, const param_map& params) {
  return guarded_call([&]() -> result<std::unique_ptr<Base>> {
    auto made = Impl::create(services, params);
    if (!made) return std::unexpected(made.error());
    return std::unique_ptr<Base>(std::make_unique<Guard>(std::unique_ptr<Base>(std::move(*made))));
  });
}

}  // namespace kick::detail

#define KICK_DEFINE_PLUGIN_ENTRY_(kind_str, name_str, version_str, m, b, t)                      \
  KICK_EXPORT const kick_plugin_info* kick_plugin_entry() {                                      \
    static const kick_plugin_info info{KICK_ABI_VERSION, sizeof(kick_plugin_info), KICK_BUILD_ID, \
                                       kind_str, name_str, version_str, m, b, t};                \
    return &info;                                                                                \
  }

#define KICK_METHOD_PLUGIN(Impl, name_str, version_str)                                               \
  KICK_DEFINE_PLUGIN_ENTRY_("method", name_str, version_str,                                          \
                            (&kick::detail::create_guarded<kick::method, kick::detail::guarded_method, Impl>), \
                            nullptr, nullptr)

#define KICK_BACKEND_PLUGIN(Impl, name_str, version_str)                                                 \
  KICK_DEFINE_PLUGIN_ENTRY_("backend", name_str, version_str, nullptr,                                   \
                            (&kick::detail::create_guarded<kick::backend, kick::detail::guarded_backend, Impl>), \
                            nullptr)

#define KICK_TASK_PLUGIN(Impl, name_str, version_str)                          \
  KICK_DEFINE_PLUGIN_ENTRY_("task", name_str, version_str, nullptr, nullptr, \
                            (&kick::detail::create_guarded<kick::task, kick::detail::guarded_task, Impl>))
