#include "pruning_mask.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "kick/format_codec.h"

namespace kick::pruning {

result<sparsity_pattern> parse_pattern(const std::string& text) {
  if (text == "unstructured") return sparsity_pattern{};
  auto bad = [&](const char* why) {
    return fail(status_code::invalid_argument,
                detail::format("pattern '{}' {}: accepted are \"unstructured\" or N:M with M = 2N <= 64 "
                               "(1:2, 2:4, 4:8; N of every M consecutive input columns are zeroed)",
                               text, why));
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) return bad("is not \"unstructured\" or N:M");
  int n = 0, m = 0;
  const char* begin = text.data();
  const char* mid = begin + colon;
  const char* end = begin + text.size();
  const auto rn = std::from_chars(begin, mid, n);
  const auto rm = std::from_chars(mid + 1, end, m);
  if (rn.ec != std::errc{} || rn.ptr != mid || rm.ec != std::errc{} || rm.ptr != end) return bad("is not \"unstructured\" or N:M");
  if (n < 1 || m < 1 || m > 64) return bad("has N or M outside 1..64");
  if (n > m) return bad("has N > M");
  if (m != 2 * n) return bad("has M != 2N (the references' and the paper's readings of N:M differ there)");
  return sparsity_pattern{true, n, m};
}

result<double> sparsity_param(const param_map& params) {
  auto s = params.get_float("sparsity");
  if (!s) return std::unexpected(s.error());
  if (!(*s >= 0.0 && *s < 1.0)) return fail(status_code::invalid_argument, detail::format("sparsity {} outside [0, 1)", *s));
  return *s;
}

result<sparsity_pattern> pattern_param(const param_map& params) {
  auto text = params.get_string("pattern");
  if (!text) return std::unexpected(text.error());
  return parse_pattern(*text);
}

status check_finite(const char* what, const matrix_f32& w) {
  for (std::int64_t r = 0; r < w.n_rows; ++r)
    for (std::int64_t c = 0; c < w.n_cols; ++c)
      if (!std::isfinite(w.row(r)[c]))
        return fail(status_code::failed_precondition,
                    detail::format("{} holds a non-finite value ({}) at [{}, {}]", what, w.row(r)[c], r, c));
  return {};
}

status check_non_negative(const char* what, const float* values, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(values[i]) || values[i] < 0.0f)
      return fail(status_code::failed_precondition,
                  detail::format("{} holds {} at input column {} (expected finite and >= 0)", what, values[i], i));
  return {};
}

void mark_smallest_in_group(const float* score, std::int32_t m, std::int32_t n_prune, std::uint8_t* mask) {
  for (std::int32_t k = 0; k < n_prune; ++k) {
    std::int32_t best = -1;
    for (std::int32_t j = 0; j < m; ++j)
      if (!mask[j] && (best < 0 || score[j] < score[best])) best = j;
    mask[best] = 1;
  }
}

void mark_nm(const std::vector<float>& metric, std::int64_t n_rows, std::int64_t n_cols, const sparsity_pattern& p,
             std::vector<std::uint8_t>& mask) {
  for (std::int64_t r = 0; r < n_rows; ++r)
    for (std::int64_t c = 0; c + p.m <= n_cols; c += p.m) {
      const std::size_t at = static_cast<std::size_t>(r * n_cols + c);
      mark_smallest_in_group(metric.data() + at, p.m, p.n, mask.data() + at);
    }
}

status check_nm_divides(const sparsity_pattern& p, std::int64_t n_cols) {
  if (!p.structured || n_cols % p.m == 0) return {};
  return fail(status_code::invalid_argument,
              detail::format("the layer's {} input columns are not a multiple of M = {} of pattern {}:{}", n_cols, p.m, p.n, p.m));
}

result<method_output> apply_mask(const matrix_f32& weight, const std::vector<std::uint8_t>& mask,
                                 const sparsity_pattern& p, const std::string& extra_note) {
  std::int64_t zeros = 0;
  for (std::int64_t r = 0; r < weight.n_rows; ++r) {
    float* row = weight.row(r);
    const std::uint8_t* mrow = mask.data() + r * weight.n_cols;
    for (std::int64_t c = 0; c < weight.n_cols; ++c) {
      if (mrow[c]) row[c] = 0.0f;
      zeros += row[c] == 0.0f ? 1 : 0;
    }
  }
  method_output out;
  if (p.structured) {
    auto packed = encode_nm(weight, p.m - p.n, p.m);
    if (!packed) return std::unexpected(packed.error());
    out.layout = std::move(*packed);
  } else {
    out.layout = encode_bitmap(weight);
  }
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{weight.n_rows, weight.n_cols, out.layout});
  const double numel = static_cast<double>(weight.n_rows) * static_cast<double>(weight.n_cols);
  char sparsity[32];
  std::snprintf(sparsity, sizeof sparsity, "%.6f", static_cast<double>(zeros) / numel);
  out.notes = detail::format("sparsity {}", sparsity);
  if (!extra_note.empty()) out.notes.append(", ").append(extra_note);
  return out;
}

}  // namespace kick::pruning
