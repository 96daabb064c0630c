#include "magnitude.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kick/format_codec.h"

namespace kick::methods {

result<magnitude_params> parse_magnitude_params(const param_map& params) {
  magnitude_params p;
  auto sparsity = pruning::sparsity_param(params);
  if (!sparsity) return std::unexpected(sparsity.error());
  auto pattern = pruning::pattern_param(params);
  if (!pattern) return std::unexpected(pattern.error());
  p.sparsity = *sparsity;
  p.pattern = *pattern;
  return p;
}

result<method_output> magnitude_compress(const matrix_f32& weight, const magnitude_params& p) {
  const std::int64_t rows = weight.n_rows, cols = weight.n_cols;
  if (!p.pattern.structured && p.sparsity == 0.0) return method_output{};
  if (status s = pruning::check_nm_divides(p.pattern, cols); !s.ok()) return std::unexpected(s);
  if (status s = pruning::check_finite("weight", weight); !s.ok()) return std::unexpected(s);

  const std::size_t numel = static_cast<std::size_t>(rows * cols);
  std::vector<float> metric(numel);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) metric[static_cast<std::size_t>(r * cols + c)] = std::fabs(weight.row(r)[c]);

  std::vector<std::uint8_t> mask(numel, 0);
  std::string note;
  if (p.pattern.structured) {
    pruning::mark_nm(metric, rows, cols, p.pattern, mask);
  } else {
    // int(W.numel() * sparsity) in Python: the product in double, truncated; < numel as s < 1.
    const std::size_t k = static_cast<std::size_t>(static_cast<double>(numel) * p.sparsity);
    std::vector<float> sorted = metric;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    const float thresh = sorted[k];  // = sort(|W|.flatten())[k]
    for (std::size_t e = 0; e < numel; ++e) mask[e] = metric[e] <= thresh ? 1 : 0;
    note = detail::format("threshold {}", thresh);
  }
  return pruning::apply_mask(weight, mask, p.pattern, note);
}

}  // namespace kick::methods
