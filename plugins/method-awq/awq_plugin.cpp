// The awq method plugin: parameters are checked in create(), the work is awq_compress().
#include <kick/plugin.h>

#include "awq.h"

namespace {

class awq_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<awq_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_awq_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<awq_method>(*p);
  }
  explicit awq_method(const kick::methods::awq_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info& layer, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    return kick::methods::awq_compress(layer, weight, stats, params_);
  }

 private:
  kick::methods::awq_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(awq_method, "awq", "0.1.0")
