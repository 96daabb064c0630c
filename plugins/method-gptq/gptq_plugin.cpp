// The gptq method plugin: parameters are checked in create(), the work is gptq_compress().
#include <kick/plugin.h>

#include "gptq.h"

namespace {

class gptq_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<gptq_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_gptq_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<gptq_method>(*p);
  }
  explicit gptq_method(const kick::methods::gptq_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    return kick::methods::gptq_compress(weight, stats.hessian, params_);
  }

 private:
  kick::methods::gptq_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(gptq_method, "gptq", "0.1.0")
