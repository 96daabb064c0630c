#include "core/bench/synthetic_weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "kick/convert.h"
#include "kick/format_codec.h"

namespace kick {

namespace {

constexpr std::int64_t k_group = 128;

// Zeroes all but the n largest magnitudes in every group of m columns.
void prune_nm(std::vector<float>& w, std::int64_t n_cols, int n, int m) {
  std::vector<int> order(static_cast<std::size_t>(m));
  for (std::size_t g = 0; g < w.size(); g += static_cast<std::size_t>(m)) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return std::abs(w[g + a]) > std::abs(w[g + b]); });
    for (int k = n; k < m; ++k) w[g + static_cast<std::size_t>(order[static_cast<std::size_t>(k)])] = 0.0f;
  }
  (void)n_cols;
}

// Zeroes the smallest `fraction` of magnitudes in every row.
void prune_rows(std::vector<float>& w, std::int64_t n_rows, std::int64_t n_cols, double fraction) {
  std::vector<float> mags(static_cast<std::size_t>(n_cols));
  const auto n_zero = static_cast<std::int64_t>(std::llround(fraction * static_cast<double>(n_cols)));
  for (std::int64_t r = 0; r < n_rows; ++r) {
    float* row = w.data() + r * n_cols;
    for (std::int64_t c = 0; c < n_cols; ++c) mags[static_cast<std::size_t>(c)] = std::abs(row[c]);
    if (n_zero <= 0) continue;
    std::nth_element(mags.begin(), mags.begin() + (n_zero - 1), mags.end());
    const float threshold = mags[static_cast<std::size_t>(n_zero - 1)];
    std::int64_t zeroed = 0;
    for (std::int64_t c = 0; c < n_cols && zeroed < n_zero; ++c) {
      if (std::abs(row[c]) <= threshold) row[c] = 0.0f, ++zeroed;
    }
  }
}

// Asymmetric min-max round-to-nearest over groups of k_group columns (or the act-order groups of g_idx).
group_quant_layout quantize_groups(const std::vector<float>& w, std::int64_t n_rows, std::int64_t n_cols, int bits, bool act_order,
                                   std::mt19937& rng) {
  group_quant_layout q;
  q.bits = bits;
  q.group_size = k_group;
  q.words_per_row = quant_words_per_row(n_cols, bits);
  q.n_groups = (n_cols + k_group - 1) / k_group;
  q.packed.assign(static_cast<std::size_t>(n_rows * q.words_per_row), 0u);
  q.scales.assign(static_cast<std::size_t>(n_rows * q.n_groups), 0.0f);
  q.zeros.assign(static_cast<std::size_t>(n_rows * q.n_groups), 0.0f);
  if (act_order) {
    std::vector<std::int32_t> perm(static_cast<std::size_t>(n_cols));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    q.g_idx.assign(static_cast<std::size_t>(n_cols), 0);
    for (std::int64_t i = 0; i < n_cols; ++i) q.g_idx[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])] = static_cast<std::int32_t>(i / k_group);
  }
  const float max_code = static_cast<float>((1 << bits) - 1);
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const float* row = w.data() + r * n_cols;
    std::vector<float> lo(static_cast<std::size_t>(q.n_groups), 0.0f), hi(static_cast<std::size_t>(q.n_groups), 0.0f);
    for (std::int64_t c = 0; c < n_cols; ++c) {
      const auto g = static_cast<std::size_t>(quant_group_of(q, c));
      lo[g] = std::min(lo[g], row[c]);
      hi[g] = std::max(hi[g], row[c]);
    }
    for (std::int64_t g = 0; g < q.n_groups; ++g) {
      const auto i = static_cast<std::size_t>(r * q.n_groups + g);
      const float scale = std::max((hi[static_cast<std::size_t>(g)] - lo[static_cast<std::size_t>(g)]) / max_code, 1e-8f);
      q.scales[i] = scale;
      q.zeros[i] = std::round(-lo[static_cast<std::size_t>(g)] / scale);
    }
    for (std::int64_t c = 0; c < n_cols; ++c) {
      const auto i = static_cast<std::size_t>(r * q.n_groups + quant_group_of(q, c));
      const float code = std::clamp(std::round(row[c] / q.scales[i]) + q.zeros[i], 0.0f, max_code);
      set_quant_code(q, r, c, static_cast<std::uint32_t>(code));
    }
  }
  return q;
}

nf4_layout quantize_nf4(const std::vector<float>& w) {
  nf4_layout l;
  l.block_size = 64;
  const auto n = static_cast<std::int64_t>(w.size());
  l.codes.assign(static_cast<std::size_t>((n + 1) / 2), 0);
  l.absmax.assign(static_cast<std::size_t>((n + l.block_size - 1) / l.block_size), 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    float& a = l.absmax[static_cast<std::size_t>(i / l.block_size)];
    a = std::max(a, std::abs(w[static_cast<std::size_t>(i)]));
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const float a = l.absmax[static_cast<std::size_t>(i / l.block_size)];
    const std::uint8_t code = nf4_code(a > 0.0f ? w[static_cast<std::size_t>(i)] / a : 0.0f);
    std::uint8_t& byte = l.codes[static_cast<std::size_t>(i / 2)];
    byte = static_cast<std::uint8_t>(i % 2 == 0 ? (byte & 0x0F) | (code << 4) : (byte & 0xF0) | code);
  }
  return l;
}

int8_outlier_layout quantize_int8_outliers(const std::vector<float>& w, std::int64_t n_rows, std::int64_t n_cols) {
  int8_outlier_layout l;
  for (std::int64_t c = 7; c < n_cols; c += 512) l.outlier_cols.push_back(static_cast<std::int32_t>(c));
  const auto n_out = static_cast<std::int64_t>(l.outlier_cols.size());
  l.q.assign(static_cast<std::size_t>(n_rows * n_cols), 0);
  l.row_scale.assign(static_cast<std::size_t>(n_rows), 0.0f);
  l.outlier_values.assign(static_cast<std::size_t>(n_rows * n_out), 0.0f);
  std::vector<bool> outlier(static_cast<std::size_t>(n_cols), false);
  for (std::int32_t c : l.outlier_cols) outlier[static_cast<std::size_t>(c)] = true;
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const float* row = w.data() + r * n_cols;
    float absmax = 0.0f;
    for (std::int64_t c = 0; c < n_cols; ++c) {
      if (!outlier[static_cast<std::size_t>(c)]) absmax = std::max(absmax, std::abs(row[c]));
    }
    const float scale = absmax > 0.0f ? absmax / 127.0f : 1.0f;
    l.row_scale[static_cast<std::size_t>(r)] = scale;
    for (std::int64_t c = 0; c < n_cols; ++c) {
      if (outlier[static_cast<std::size_t>(c)]) continue;
      l.q[static_cast<std::size_t>(r * n_cols + c)] = static_cast<std::int8_t>(std::clamp(std::round(row[c] / scale), -127.0f, 127.0f));
    }
    for (std::int64_t k = 0; k < n_out; ++k) {
      l.outlier_values[static_cast<std::size_t>(r * n_out + k)] = row[l.outlier_cols[static_cast<std::size_t>(k)]];
    }
  }
  return l;
}

}  // namespace

const std::vector<std::string>& kernel_format_names() {
  static const std::vector<std::string> names = {"f32",       "f16",       "bf16",      "q8_0",           "1:2",         "2:4",
                                                 "4:8",       "unstructured-50", "unstructured-70", "unstructured-90", "int8-g128",
                                                 "int4-g128", "int3-g128", "int2-g128", "int4-g128-actorder", "nf4", "int8-outliers"};
  return names;
}

result<synthetic_weight> make_synthetic_weight(const std::string& format, std::int64_t n_rows, std::int64_t n_cols, std::uint32_t seed,
                                               value_type sparse_values) {
  const auto& names = kernel_format_names();
  if (std::find(names.begin(), names.end(), format) == names.end()) {
    return fail(status_code::invalid_argument, fmt::format("unknown kernel format '{}' (known: {})", format, fmt::join(names, ", ")));
  }
  if (n_rows < 1 || n_cols < 1) return fail(status_code::invalid_argument, fmt::format("shape {}x{} is empty", n_rows, n_cols));
  synthetic_weight s;
  s.format = format;
  s.n_rows = n_rows;
  s.n_cols = n_cols;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(n_rows * n_cols));
  for (float& v : w) v = normal(rng);
  const matrix_f32 m{w.data(), n_rows, n_cols, n_cols};
  const auto as_compressed = [&](weight_layout layout) { s.compressed = compressed_weight{n_rows, n_cols, std::move(layout)}; };
  if (format == "f32" || format == "f16" || format == "bf16" || format == "q8_0") {
    const dtype type = format == "f32" ? dtype::f32 : format == "f16" ? dtype::f16 : format == "bf16" ? dtype::bf16 : dtype::q8_0;
    const std::int64_t row_bytes = row_size_bytes(type, n_cols);
    if (row_bytes < 0) return fail(status_code::invalid_argument, fmt::format("{} needs n_cols % 32 == 0, not {}", format, n_cols));
    s.dense_bytes.resize(static_cast<std::size_t>(row_bytes * n_rows));
    for (std::int64_t r = 0; r < n_rows; ++r) quantize_row(type, w.data() + r * n_cols, s.dense_bytes.data() + r * row_bytes, n_cols);
    s.dense = make_contiguous_view(type, s.dense_bytes.data(), n_rows, n_cols);
  } else if (format == "1:2" || format == "2:4" || format == "4:8") {
    const int n = format[0] - '0', mm = format[2] - '0';
    if (n_cols % mm != 0) return fail(status_code::invalid_argument, fmt::format("{} needs n_cols % {} == 0, not {}", format, mm, n_cols));
    prune_nm(w, n_cols, n, mm);
    auto layout = encode_nm(m, n, mm);
    if (!layout) return fail(layout.error());
    as_compressed(std::move(*layout));
  } else if (format.starts_with("unstructured-")) {
    prune_rows(w, n_rows, n_cols, std::stod(format.substr(13)) / 100.0);
    as_compressed(encode_bitmap(m));
  } else if (format.starts_with("int") && format.find("-g128") != std::string::npos) {
    as_compressed(quantize_groups(w, n_rows, n_cols, std::stoi(format.substr(3)), format.ends_with("actorder"), rng));
  } else if (format == "nf4") {
    as_compressed(quantize_nf4(w));
  } else {
    as_compressed(quantize_int8_outliers(w, n_rows, n_cols));
  }
  if (s.compressed) {
    convert_sparse_values(s.compressed->layout, sparse_values);
    if (status st = check_layout(*s.compressed); !st.ok()) return fail(st.with_context(format));
  }
  return s;
}

}  // namespace kick
