#include "awq.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "awq_clip.h"
#include "awq_quantizer.h"
#include "kick/format_codec.h"

namespace kick::methods {

namespace {

constexpr std::int64_t k_chunk_floats = std::int64_t{1} << 22;  // one token chunk's output buffer
constexpr std::int64_t k_cache_floats = std::int64_t{1} << 26;  // X W^T kept whole up to 256 MiB

status check_finite(const char* what, const float* data, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(data[i]))
      return fail(status_code::failed_precondition, detail::format("{} has a non-finite value at flat index {}", what, i));
  return {};
}

// x_max^ratio as torch's pow(Tensor, Scalar) on float32: exponent 0 gives 1, 0.5 is sqrt.
float pow_ratio(float base, float exponent) {
  if (exponent == 0.0f) return 1.0f;
  if (exponent == 0.5f) return std::sqrt(base);
  return std::pow(base, exponent);
}

// out [n_tokens, n_rows] = x [n_tokens, n_cols] * w [n_rows, n_cols]^T.
void product(const float* x, std::int64_t n_tokens, const float* w, std::int64_t n_rows, std::int64_t n_cols, float* out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n_tokens), static_cast<int>(n_rows),
              static_cast<int>(n_cols), 1.0f, x, static_cast<int>(n_cols), w, static_cast<int>(n_cols), 0.0f, out,
              static_cast<int>(n_rows));
}

// W diag(s), quantized group by group, then divided by s (the reference's
// fc.weight = w_quantize_func(fc.weight * s) / s). `codes`/`grids` receive the grid when not null.
void quantize_scaled(const float* w, std::int64_t n_rows, std::int64_t n_cols, const std::vector<float>& s,
                     const awq_params& p, float* out, std::uint8_t* codes, awq_grid* grids) {
  const std::int64_t gs = p.group_size == -1 ? n_cols : p.group_size;
  const std::int64_t n_groups = n_cols / gs;
  for (std::int64_t r = 0; r < n_rows; ++r) {
    float* row = out + r * n_cols;
    for (std::int64_t c = 0; c < n_cols; ++c) row[c] = w[r * n_cols + c] * s[static_cast<std::size_t>(c)];
    for (std::int64_t g = 0; g < n_groups; ++g) {
      const awq_grid grid =
          awq_quantize_group(row + g * gs, gs, p.bits, p.zero_point, codes != nullptr ? codes + r * n_cols + g * gs : nullptr);
      if (grids != nullptr) grids[r * n_groups + g] = grid;
    }
    for (std::int64_t c = 0; c < n_cols; ++c) row[c] = row[c] / s[static_cast<std::size_t>(c)];
  }
}

}  // namespace

result<awq_params> parse_awq_params(const param_map& params) {
  awq_params p;
  auto bits = params.get_int("bits");
  if (!bits) return std::unexpected(bits.error());
  if (*bits < 2 || *bits > 8) return fail(status_code::invalid_argument, detail::format("bits {} outside 2..8", *bits));
  auto group = params.get_int("group_size");
  if (!group) return std::unexpected(group.error());
  if (*group != -1 && *group <= 0)
    return fail(status_code::invalid_argument, detail::format("group_size {} is neither -1 (one group per row) nor positive", *group));
  auto zero_point = params.get_bool("zero_point");
  if (!zero_point) return std::unexpected(zero_point.error());
  auto n_grid = params.get_int("n_grid");
  if (!n_grid) return std::unexpected(n_grid.error());
  if (*n_grid < 1 || *n_grid > 1000) return fail(status_code::invalid_argument, detail::format("n_grid {} outside [1, 1000]", *n_grid));
  auto shrink = params.get_float("max_shrink");
  if (!shrink) return std::unexpected(shrink.error());
  if (!(*shrink >= 0.0 && *shrink < 1.0))
    return fail(status_code::invalid_argument, detail::format("max_shrink {} outside [0, 1)", *shrink));
  p.bits = static_cast<std::int32_t>(*bits);
  p.group_size = *group;
  p.zero_point = *zero_point;
  p.n_grid = static_cast<std::int32_t>(*n_grid);
  p.max_shrink = *shrink;
  return p;
}

bool awq_clips_layer(const std::string& layer_name) {
  return !(layer_name.ends_with("q_proj") || layer_name.ends_with("k_proj"));
}

result<awq_scale_choice> awq_search_scales(const matrix_f32& weight, const float* x, std::int64_t n_tokens,
                                           const float* x_max, const awq_params& p) {
  const std::int64_t rows = weight.n_rows, n = weight.n_cols;
  std::vector<float> w(static_cast<std::size_t>(rows * n));
  for (std::int64_t r = 0; r < rows; ++r) std::copy_n(weight.row(r), n, w.data() + r * n);
  const std::int64_t chunk = std::clamp<std::int64_t>(k_chunk_floats / rows, 1, n_tokens);
  // The original output X W^T, chunk by chunk; kept when small enough, else recomputed per grid
  // point with the very same calls (so caching never changes a bit of the result).
  const bool cache = n_tokens * rows <= k_cache_floats;
  std::vector<float> org_cache;
  if (cache) {
    org_cache.resize(static_cast<std::size_t>(n_tokens * rows));
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk)
      product(x + t0 * n, std::min(chunk, n_tokens - t0), w.data(), rows, n, org_cache.data() + t0 * rows);
  }
  std::vector<float> org_chunk(cache ? 0 : static_cast<std::size_t>(chunk * rows));
  std::vector<float> out_chunk(static_cast<std::size_t>(chunk * rows));
  std::vector<float> wq(w.size());
  std::vector<float> s(static_cast<std::size_t>(n));

  awq_scale_choice choice;
  choice.losses.assign(static_cast<std::size_t>(p.n_grid), std::numeric_limits<double>::quiet_NaN());
  double best_error = std::numeric_limits<double>::infinity();
  for (std::int32_t k = 0; k < p.n_grid; ++k) {
    // Python: ratio = k * 1 / n_grid (a double), cast to float32 by torch's pow.
    const auto ratio = static_cast<float>(static_cast<double>(k) / static_cast<double>(p.n_grid));
    for (std::int64_t j = 0; j < n; ++j) s[static_cast<std::size_t>(j)] = std::max(pow_ratio(x_max[j], ratio), 1e-4f);
    const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    const float norm = std::sqrt(*hi * *lo);
    for (float& v : s) v = v / norm;
    quantize_scaled(w.data(), rows, n, s, p, wq.data(), nullptr, nullptr);
    double sum = 0.0;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
      const std::int64_t nt = std::min(chunk, n_tokens - t0);
      const float* org = org_cache.data() + t0 * rows;
      if (!cache) {
        product(x + t0 * n, nt, w.data(), rows, n, org_chunk.data());
        org = org_chunk.data();
      }
      product(x + t0 * n, nt, wq.data(), rows, n, out_chunk.data());
      for (std::int64_t i = 0; i < nt * rows; ++i) {
        const float d = org[i] - out_chunk[static_cast<std::size_t>(i)];
        sum += static_cast<double>(d) * static_cast<double>(d);
      }
    }
    // torch's float32 .mean().item(), compared as Python floats: first strict minimum wins.
    const auto loss = static_cast<double>(static_cast<float>(sum / (static_cast<double>(n_tokens) * static_cast<double>(rows))));
    if (std::isfinite(loss)) choice.losses[static_cast<std::size_t>(k)] = loss;
    if (loss < best_error) {
      best_error = loss;
      choice.best = k;
      choice.scales = s;
    }
  }
  if (choice.best < 0)
    return fail(status_code::failed_precondition,
                detail::format("no scale ratio of the {}-point grid gives a finite output error (inputs or weights too large)", p.n_grid));
  return choice;
}

result<method_output> awq_compress(const layer_info& layer, const matrix_f32& weight, const layer_stats& stats,
                                   const awq_params& p) {
  const std::int64_t rows = weight.n_rows, n = weight.n_cols;
  if (p.group_size != -1 && (p.group_size <= 0 || n % p.group_size != 0))
    return fail(status_code::invalid_argument,
                detail::format("group_size {} does not divide the layer's {} input columns", p.group_size, n));
  if (stats.inputs == nullptr || stats.input_abs_mean == nullptr || stats.n_input_rows <= 0)
    return fail(status_code::failed_precondition, "awq needs the calibration inputs and their mean |x| (none were given)");
  for (std::int64_t r = 0; r < rows; ++r)
    if (status st = check_finite("weight", weight.row(r), n); !st.ok()) return std::unexpected(st);
  if (status st = check_finite("calibration inputs", stats.inputs, stats.n_input_rows * n); !st.ok()) return std::unexpected(st);
  if (status st = check_finite("input mean |x|", stats.input_abs_mean, n); !st.ok()) return std::unexpected(st);

  auto choice = awq_search_scales(weight, stats.inputs, stats.n_input_rows, stats.input_abs_mean, p);
  if (!choice) return std::unexpected(choice.error());
  const std::vector<float>& s = choice->scales;

  // apply_scale: the layer's weight columns *= s, its cached inputs /= s.
  std::vector<float> ws(static_cast<std::size_t>(rows * n));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < n; ++c) ws[static_cast<std::size_t>(r * n + c)] = weight.row(r)[c] * s[static_cast<std::size_t>(c)];
  const bool clip = awq_clips_layer(layer.name);
  if (clip) {
    const std::int64_t stride = awq_clip_token_stride(stats.n_input_rows);
    const std::int64_t n_sub = (stats.n_input_rows + stride - 1) / stride;
    std::vector<float> xs(static_cast<std::size_t>(n_sub * n));
    for (std::int64_t t = 0; t < n_sub; ++t)
      for (std::int64_t c = 0; c < n; ++c)
        xs[static_cast<std::size_t>(t * n + c)] = stats.inputs[t * stride * n + c] / s[static_cast<std::size_t>(c)];
    const std::vector<float> max_val = awq_search_clip(ws.data(), rows, n, xs.data(), n_sub, p);
    awq_apply_clip(ws.data(), rows, n, p.group_size, max_val);
  }

  // The final pseudo-quantization of the clipped, scaled weight; the layer is Q / s.
  group_quant_layout l;
  l.bits = p.bits;
  l.group_size = p.group_size == -1 ? n : p.group_size;
  l.symmetric = !p.zero_point;
  l.words_per_row = quant_words_per_row(n, p.bits);
  l.n_groups = n / l.group_size;
  l.packed.assign(static_cast<std::size_t>(rows * l.words_per_row), 0u);
  l.scales.resize(static_cast<std::size_t>(rows * l.n_groups));
  l.zeros.resize(l.scales.size());
  l.input_scale = s;
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * n));
  std::vector<awq_grid> grids(l.scales.size());
  const std::vector<float> ones(static_cast<std::size_t>(n), 1.0f);
  std::vector<float> q(ws.size());
  quantize_scaled(ws.data(), rows, n, ones, p, q.data(), codes.data(), grids.data());
  for (std::size_t g = 0; g < grids.size(); ++g) {
    l.scales[g] = grids[g].scale;
    l.zeros[g] = grids[g].zero;
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < n; ++c) {
      set_quant_code(l, r, c, codes[static_cast<std::size_t>(r * n + c)]);
      weight.row(r)[c] = q[static_cast<std::size_t>(r * n + c)] / s[static_cast<std::size_t>(c)];
    }
  }
  method_output out;
  char note[96];
  std::snprintf(note, sizeof note, "scale ratio %.2f%s", static_cast<double>(choice->best) / p.n_grid,
                clip ? ", clipped" : ", not clipped (query/key projection)");
  out.notes = note;
  out.layout = std::move(l);
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, n, out.layout});
  return out;
}

}  // namespace kick::methods
