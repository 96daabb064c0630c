// An out-of-tree method plugin: magnitude pruning by a fixed threshold, one layer at a time.
#include <cmath>

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

  kick::result<kick::method_report> compress(const kick::layer_info&, kick::matrix_f32 weight,
                                             const kick::layer_stats&) override {
    std::int64_t zeros = 0;
    for (std::int64_t r = 0; r < weight.n_rows; ++r) {
      float* row = weight.row(r);
      for (std::int64_t c = 0; c < weight.n_cols; ++c) {
        if (std::fabs(row[c]) < threshold_) row[c] = 0.0f;
        zeros += row[c] == 0.0f ? 1 : 0;
      }
    }
    kick::method_report report;
    report.achieved_sparsity = static_cast<double>(zeros) / static_cast<double>(weight.n_rows * weight.n_cols);
    return report;
  }

 private:
  float threshold_;
};

}  // namespace

KICK_METHOD_PLUGIN(threshold_method, "threshold", "0.1.0")
