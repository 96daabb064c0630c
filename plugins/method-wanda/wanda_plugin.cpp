// The wanda method plugin: parameters are checked in create(), the work is wanda_compress().
#include <kick/plugin.h>

#include "wanda.h"

namespace {

class wanda_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<wanda_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_wanda_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<wanda_method>(*p);
  }
  explicit wanda_method(const kick::methods::wanda_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    return kick::methods::wanda_compress(weight, stats.input_sq_mean, params_);
  }

 private:
  kick::methods::wanda_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(wanda_method, "wanda", "0.1.0")
