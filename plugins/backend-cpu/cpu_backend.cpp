// The CPU backend plugin: entry point, parameters and device description.

#include <algorithm>
#include <cblas.h>
#include <cstdlib>
#include <memory>
#include <string>

#include "forward.h"
#include "kernel_timer.h"
#include "kernels.h"
#include "kick/plugin.h"

namespace kick::cpu {

class cpu_backend final : public backend {
 public:
  // Params (validated by the host against backend-cpu.toml): threads (0 = all cores),
  // compressed_values (stored | f32 | f16: how sparse layers hold their values), activations (f32 | int8:
  // how group-quantized and int8 + outlier layers' decode kernels read x), kernels
  // (auto or an instruction set; with auto, the environment variable KICK_CPU_KERNELS may force
  // one), so tests can check each set this machine supports; an unusable name is an error.
  static result<std::unique_ptr<cpu_backend>> create(const host& services, const param_map& params) {
    auto threads = params.get_int("threads");
    if (!threads) return fail(threads.error());
    if (*threads < 0 || *threads > 1024) {
      return fail(status_code::invalid_argument, "parameter threads is " + std::to_string(*threads) + ", accepted [0, 1024]");
    }
    const int n_threads = *threads > 0 ? static_cast<int>(*threads) : usable_cores();
    auto requested = params.get_string("kernels");
    if (!requested) return fail(requested.error());
    std::string source = "parameter kernels";
    std::string isa = *requested;
    if (const char* forced = std::getenv("KICK_CPU_KERNELS"); isa == "auto" && forced != nullptr && *forced != '\0') {
      isa = forced;
      source = "KICK_CPU_KERNELS";
    }
    const kernel_set* kernels = &best_kernels();
    if (isa != "auto") {
      kernels = find_kernels(isa);
      if (kernels == nullptr) {
        return fail(status_code::unavailable,
                    source + " names '" + isa + "', not a kernel set this cpu supports (avx512f, avx2, generic; best here: " + best_kernels().isa + ")");
      }
    }
    auto values = params.get_string("compressed_values");
    if (!values) return fail(values.error());
    if (*values != "stored" && *values != "f32" && *values != "f16") {
      return fail(status_code::invalid_argument, "parameter compressed_values is '" + *values + "', accepted stored, f32 or f16");
    }
    auto activations = params.get_string("activations");
    if (!activations) return fail(activations.error());
    if (*activations != "f32" && *activations != "int8") {
      return fail(status_code::invalid_argument, "parameter activations is '" + *activations + "', accepted f32 or int8");
    }
    linear_options linear;
    linear.values = *values == "f16" ? sparse_value_type::f16 : *values == "f32" ? sparse_value_type::f32 : sparse_value_type::stored;
    linear.activations = *activations == "int8" ? activation_type::int8 : activation_type::f32;
    return std::make_unique<cpu_backend>(services, *kernels, n_threads, linear);
  }

  cpu_backend(const host& services, const kernel_set& kernels, int n_threads, linear_options linear)
      : host_(&services), kernels_(&kernels), n_threads_(n_threads), linear_(linear) {
    host_->log(log_level::debug, describe());
  }

  std::string describe() const override {
    std::string s = "cpu: " + std::to_string(n_threads_) + (n_threads_ == 1 ? " thread, " : " threads, ");
    s.append(kernels_->isa);
    if (linear_.activations == activation_type::int8) s.append(", int8 activations");
    // Prefill's sgemm: OpenBLAS picks its kernels by CPU model unless OPENBLAS_CORETYPE names
    // them (docs/env-vars.md); older kernels than the CPU allows run it at half speed.
    const char* blas = openblas_get_corename();
    return s.append(", OpenBLAS ").append(blas != nullptr ? blas : "unknown").append(" kernels");
  }

  result<std::unique_ptr<model_runner>> load(const model_view& model, const runner_options& options) override {
    auto runner = cpu_runner::create(model, options, *kernels_, n_threads_, linear_, *host_);
    if (!runner) return fail(runner.error());
    return std::unique_ptr<model_runner>(std::move(*runner));
  }

  result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats) override {
    return cpu::time_linear(weight, n_tokens, warmup, repeats, *kernels_, n_threads_, linear_);
  }

  result<double> copy_bandwidth() override { return cpu::copy_bandwidth(n_threads_); }

 private:
  const host* host_;
  const kernel_set* kernels_;
  int n_threads_;
  linear_options linear_;
};

}  // namespace kick::cpu

using cpu_backend = kick::cpu::cpu_backend;
KICK_BACKEND_PLUGIN(cpu_backend, "cpu", "0.1.0")
