#include "wanda.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "kick/format_codec.h"

namespace kick::methods {

result<wanda_params> parse_wanda_params(const param_map& params) {
  wanda_params p;
  auto sparsity = pruning::sparsity_param(params);
  if (!sparsity) return std::unexpected(sparsity.error());
  auto pattern = pruning::pattern_param(params);
  if (!pattern) return std::unexpected(pattern.error());
  auto variant = params.get_bool("use_variant");
  if (!variant) return std::unexpected(variant.error());
  if (*variant && pattern->structured)
    return fail(status_code::invalid_argument,
                detail::format("use_variant applies to pattern \"unstructured\" only, not {}:{} (as in the reference)", pattern->n,
                               pattern->m));
  p.sparsity = *sparsity;
  p.pattern = *pattern;
  p.use_variant = *variant;
  return p;
}

namespace {

// The reference's per-row sort: torch.sort(W_metric, dim=-1, stable=True) -> values and indices.
struct sorted_rows {
  std::vector<float> values;          // [rows, cols] ascending per row
  std::vector<std::int64_t> indices;  // [rows, cols] the column of each sorted value
};

sorted_rows sort_rows(const std::vector<float>& metric, std::int64_t rows, std::int64_t cols) {
  sorted_rows s;
  s.values.resize(metric.size());
  s.indices.resize(metric.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* m = metric.data() + r * cols;
    std::int64_t* idx = s.indices.data() + r * cols;
    std::iota(idx, idx + cols, std::int64_t{0});
    std::stable_sort(idx, idx + cols, [m](std::int64_t a, std::int64_t b) { return m[a] < m[b]; });
    for (std::int64_t c = 0; c < cols; ++c) s.values[static_cast<std::size_t>(r * cols + c)] = m[idx[c]];
  }
  return s;
}

// return_given_alpha: per row, count = #(cumsum <= row_sum * alpha) over the sorted row,
// thres = sorted[count - 1], prune metric <= thres; cur_sparsity = #pruned / numel in float32.
// A row whose count is 0 (its smallest score alone exceeds alpha * row_sum) makes the reference
// gather at index -1, which torch refuses; here such a row prunes nothing.
float mask_given_alpha(double alpha, const sorted_rows& s, const std::vector<float>& metric, const std::vector<float>& cumsum,
                       const std::vector<float>& row_sum, std::int64_t rows, std::int64_t cols, std::vector<std::uint8_t>& mask) {
  std::int64_t pruned = 0;
  const float alpha_f = static_cast<float>(alpha);  // a Python float times a float32 tensor computes in float32
  for (std::int64_t r = 0; r < rows; ++r) {
    const float thres_cumsum = row_sum[static_cast<std::size_t>(r)] * alpha_f;
    const float* cs = cumsum.data() + r * cols;
    std::int64_t count = 0;
    for (std::int64_t c = 0; c < cols; ++c) count += cs[c] <= thres_cumsum ? 1 : 0;
    const float* m = metric.data() + r * cols;
    std::uint8_t* mrow = mask.data() + r * cols;
    if (count == 0) {
      std::fill(mrow, mrow + cols, std::uint8_t{0});
      continue;
    }
    const float thres = s.values[static_cast<std::size_t>(r * cols + count - 1)];
    for (std::int64_t c = 0; c < cols; ++c) {
      mrow[c] = m[c] <= thres ? 1 : 0;
      pruned += mrow[c];
    }
  }
  // (W_mask == True).sum() / W_mask.numel(): int64 / int -> float32 true division.
  return static_cast<float>(pruned) / static_cast<float>(rows * cols);
}

// The appendix variant (prune_wanda's use_variant branch): one alpha per layer found by bisection.
wanda_variant_result run_variant(const std::vector<float>& metric, std::int64_t rows, std::int64_t cols, double sparsity,
                                 std::vector<std::uint8_t>& mask) {
  const sorted_rows s = sort_rows(metric, rows, cols);
  // torch.cumsum on CPU accumulates float32 in double (acc_type) and stores each prefix as float.
  std::vector<float> cumsum(metric.size());
  // W_metric.sum(dim=1): torch's float32 reduction order is not reproducible here; the sum is
  // accumulated in double and rounded once, which is within float32 rounding of torch's result.
  std::vector<float> row_sum(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    double acc = 0.0, total = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      acc += static_cast<double>(s.values[static_cast<std::size_t>(r * cols + c)]);
      cumsum[static_cast<std::size_t>(r * cols + c)] = static_cast<float>(acc);
      total += static_cast<double>(metric[static_cast<std::size_t>(r * cols + c)]);
    }
    row_sum[static_cast<std::size_t>(r)] = static_cast<float>(total);
  }
  const float target = static_cast<float>(sparsity);  // float32 tensor vs Python float: compared in float32
  wanda_variant_result v;
  double alpha = 0.4;
  double lo = 0.0, hi = 0.8;  // alpha_hist
  float cur = mask_given_alpha(alpha, s, metric, cumsum, row_sum, rows, cols, mask);
  while (std::fabs(cur - target) > 0.001f && hi - lo >= 0.001) {
    double alpha_new;
    if (cur > target) {
      alpha_new = (alpha + lo) / 2.0;
      hi = alpha;
    } else {
      alpha_new = (alpha + hi) / 2.0;
      lo = alpha;
    }
    alpha = alpha_new;
    cur = mask_given_alpha(alpha, s, metric, cumsum, row_sum, rows, cols, mask);
    ++v.iterations;
  }
  v.alpha = alpha;
  v.achieved_sparsity = cur;
  return v;
}

}  // namespace

result<method_output> wanda_compress(const matrix_f32& weight, const float* scaler_row, const wanda_params& p,
                                     wanda_variant_result* variant) {
  const std::int64_t rows = weight.n_rows, cols = weight.n_cols;
  if (!p.pattern.structured && p.sparsity == 0.0) return method_output{};
  if (scaler_row == nullptr) return fail(status_code::failed_precondition, "wanda needs the input_sq_mean statistic");
  if (status s = pruning::check_nm_divides(p.pattern, cols); !s.ok()) return std::unexpected(s);
  if (status s = pruning::check_finite("weight", weight); !s.ok()) return std::unexpected(s);
  if (status s = pruning::check_non_negative("input_sq_mean", scaler_row, cols); !s.ok()) return std::unexpected(s);

  // W_metric = |W| * sqrt(scaler_row), float32 (sqrtf is correctly rounded, as torch.sqrt).
  const std::size_t numel = static_cast<std::size_t>(rows * cols);
  std::vector<float> root(static_cast<std::size_t>(cols));
  for (std::int64_t c = 0; c < cols; ++c) root[static_cast<std::size_t>(c)] = std::sqrt(scaler_row[c]);
  std::vector<float> metric(numel);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      metric[static_cast<std::size_t>(r * cols + c)] = std::fabs(weight.row(r)[c]) * root[static_cast<std::size_t>(c)];

  std::vector<std::uint8_t> mask(numel, 0);
  std::string note;
  if (p.pattern.structured) {
    pruning::mark_nm(metric, rows, cols, p.pattern, mask);
  } else if (p.use_variant) {
    const wanda_variant_result v = run_variant(metric, rows, cols, p.sparsity, mask);
    if (variant != nullptr) *variant = v;
    char text[96];
    std::snprintf(text, sizeof text, "variant alpha %.9g after %d bisection steps", v.alpha, v.iterations);
    note = text;
  } else {
    // int(W.shape[1] * sparsity_ratio) zeros per row: the first indices of the stable sort.
    const std::int64_t k = static_cast<std::int64_t>(static_cast<double>(cols) * p.sparsity);
    const sorted_rows s = sort_rows(metric, rows, cols);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < k; ++j)
        mask[static_cast<std::size_t>(r * cols + s.indices[static_cast<std::size_t>(r * cols + j)])] = 1;
  }
  return pruning::apply_mask(weight, mask, p.pattern, note);
}

}  // namespace kick::methods
