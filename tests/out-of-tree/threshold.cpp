// An out-of-tree method plugin: magnitude pruning by a fixed threshold, one layer at a time.
#include <cmath>

#include <kick/format_codec.h>
#include <kick/plugin.h>

namespace {

class threshold_method final : public kick::method {
 public:
  static kick::result<std::unique_ptr<threshold_method>> create(const kick::host&, const kick::param_map& params) {
    auto threshold = params.get_float("threshold");
    if (!threshold) return std::unexpected(threshold.error());
    return std::make_unique<threshold_method>(static_cast<float>(*threshold));
  }
  explicit threshold_method(float threshold) : threshold_(threshold) {}

  // Zeroes small weights in place and stores the result as a bitmap of non-zeros plus values.
  kick::result<kick::method_output> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats&) override {
    for (std::int64_t r = 0; r < weight.n_rows; ++r) {
      float* row = weight.row(r);
      for (std::int64_t c = 0; c < weight.n_cols; ++c)
        if (std::fabs(row[c]) < threshold_) row[c] = 0.0f;
    }
    kick::method_output out;
    out.layout = kick::encode_bitmap(weight);
    return out;
  }

 private:
  float threshold_;
};

}  // namespace

KICK_METHOD_PLUGIN(threshold_method, "threshold", "0.1.0")
