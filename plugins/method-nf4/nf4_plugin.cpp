// The nf4 method plugin: parameters are checked in create(), the work is nf4_compress().
#include <kick/plugin.h>

#include "nf4.h"

namespace {

class nf4_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<nf4_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_nf4_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<nf4_method>(*p);
  }
  explicit nf4_method(const kick::methods::nf4_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats&) override {
    return kick::methods::nf4_compress(weight, params_);
  }

 private:
  kick::methods::nf4_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(nf4_method, "nf4", "0.1.0")
