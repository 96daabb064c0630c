// The rtn method plugin: parameters are checked in create(), the work is rtn_compress().
#include <kick/plugin.h>

#include "rtn.h"

namespace {

class rtn_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<rtn_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_rtn_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<rtn_method>(*p);
  }
  explicit rtn_method(const kick::methods::rtn_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats&) override {
    return kick::methods::rtn_compress(weight, params_);
  }

 private:
  kick::methods::rtn_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(rtn_method, "rtn", "0.1.0")
