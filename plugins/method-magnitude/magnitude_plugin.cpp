// The magnitude method plugin: parameters are checked in create(), the work is magnitude_compress().
#include <kick/plugin.h>

#include "magnitude.h"

namespace {

class magnitude_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<magnitude_method>> create(const kick::host&, const kick::param_map& params) {
    auto p = kick::methods::parse_magnitude_params(params);
    if (!p) return std::unexpected(p.error());
    return std::make_unique<magnitude_method>(*p);
  }
  explicit magnitude_method(const kick::methods::magnitude_params& p) : params_(p) {}

  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats&) override {
    return kick::methods::magnitude_compress(weight, params_);
  }

 private:
  kick::methods::magnitude_params params_;
};

}  // namespace

KICK_METHOD_PLUGIN(magnitude_method, "magnitude", "0.1.0")
