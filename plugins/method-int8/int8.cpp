#include "int8.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "kick/format_codec.h"

namespace kick::methods {

result<int8_params> parse_int8_params(const param_map& params) {
  auto t = params.get_float("threshold");
  if (!t) return std::unexpected(t.error());
  if (!(std::isfinite(*t) && *t >= 0.0))
    return fail(status_code::invalid_argument, detail::format("threshold {} is not a finite value >= 0 (0 = no outlier columns)", *t));
  return int8_params{*t};
}

result<method_output> int8_compress(const matrix_f32& weight, const float* input_abs_max, const int8_params& p) {
  const std::int64_t rows = weight.n_rows, cols = weight.n_cols;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      if (!std::isfinite(weight.row(r)[c]))
        return fail(status_code::failed_precondition, detail::format("weight has a non-finite value at row {} column {}", r, c));
  int8_outlier_layout l;
  if (p.threshold > 0.0) {
    if (input_abs_max == nullptr)
      return fail(status_code::failed_precondition, "int8 with threshold > 0 needs the calibration inputs' max |x| (none were given)");
    const auto threshold = static_cast<float>(p.threshold);
    for (std::int64_t c = 0; c < cols; ++c) {
      if (std::isnan(input_abs_max[c]))
        return fail(status_code::failed_precondition, detail::format("calibration max |x| of input column {} is NaN", c));
      if (input_abs_max[c] >= threshold) l.outlier_cols.push_back(static_cast<std::int32_t>(c));
    }
  }
  const std::size_t n_out = l.outlier_cols.size();
  l.q.assign(static_cast<std::size_t>(rows * cols), 0);
  l.row_scale.resize(static_cast<std::size_t>(rows));
  l.outlier_values.resize(static_cast<std::size_t>(rows) * n_out);
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = weight.row(r);
    float scb = 0.0f;
    for (std::int64_t c = 0; c < cols; ++c) scb = std::max(scb, std::fabs(row[c]));
    const float factor = scb > 0.0f ? 127.0f / scb : 0.0f;  // bitsandbytes: A * (127 / row_stats)
    l.row_scale[static_cast<std::size_t>(r)] = scb / 127.0f;
    std::int8_t* q = l.q.data() + r * cols;
    for (std::int64_t c = 0; c < cols; ++c) q[c] = static_cast<std::int8_t>(std::nearbyint(row[c] * factor));
    for (std::size_t k = 0; k < n_out; ++k) {
      const std::int32_t c = l.outlier_cols[k];
      l.outlier_values[static_cast<std::size_t>(r) * n_out + k] = row[c];
      q[c] = 0;
    }
    for (std::int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(q[c]) * l.row_scale[static_cast<std::size_t>(r)];
    for (std::size_t k = 0; k < n_out; ++k) row[l.outlier_cols[k]] = l.outlier_values[static_cast<std::size_t>(r) * n_out + k];
  }
  method_output out;
  char note[80];
  std::snprintf(note, sizeof note, "%zu outlier input columns of %lld kept in float", n_out, static_cast<long long>(cols));
  out.notes = note;
  out.layout = std::move(l);
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, cols, out.layout});
  return out;
}

}  // namespace kick::methods
