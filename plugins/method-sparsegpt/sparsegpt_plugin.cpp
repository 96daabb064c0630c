// The sparsegpt method plugin: parameters are checked in create(), the work is sparsegpt_compress().
#include <kick/plugin.h>

#include "sparsegpt.h"

namespace {

class sparsegpt_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<sparsegpt_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_sparsegpt_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<sparsegpt_method>(*p);
  }
  explicit sparsegpt_method(const kick::methods::sparsegpt_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    return kick::methods::sparsegpt_compress(weight, stats.hessian, params_);
  }

 private:
  kick::methods::sparsegpt_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(sparsegpt_method, "sparsegpt", "0.1.0")
