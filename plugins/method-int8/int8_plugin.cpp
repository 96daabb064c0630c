// The int8 method plugin: parameters are checked in create(), the work is int8_compress().
#include <kick/plugin.h>

#include "int8.h"

namespace {

class int8_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<int8_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_int8_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<int8_method>(*p);
  }
  explicit int8_method(const kick::methods::int8_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    return kick::methods::int8_compress(weight, stats.input_abs_max, params_);
  }

 private:
  kick::methods::int8_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(int8_method, "int8", "0.1.0")
