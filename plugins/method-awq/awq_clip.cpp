#include "awq_clip.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "awq.h"
#include "awq_quantizer.h"

namespace kick::methods {

namespace {
constexpr std::int64_t k_sample_tokens = 512;  // auto_clip_layer's n_sample_token
constexpr std::int64_t k_row_batch = 256;      // auto_clip_layer's oc_batch_size
constexpr float k_initial_error = 1e9f;        // min_errs = ones * 1e9

// out [n_tokens, n_rows] = x [n_tokens, k] * w [n_rows, k]^T, both contiguous.
void product(const float* x, std::int64_t n_tokens, const float* w, std::int64_t n_rows, std::int64_t k, float* out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n_tokens), static_cast<int>(n_rows),
              static_cast<int>(k), 1.0f, x, static_cast<int>(k), w, static_cast<int>(k), 0.0f, out,
              static_cast<int>(n_rows));
}
}  // namespace

std::int64_t awq_clip_token_stride(std::int64_t n_tokens) { return std::max<std::int64_t>(1, n_tokens / k_sample_tokens); }

std::vector<float> awq_search_clip(const float* w, std::int64_t n_rows, std::int64_t n_cols, const float* x,
                                   std::int64_t n_tokens, const awq_params& p) {
  const std::int64_t gs = p.group_size == -1 ? n_cols : p.group_size;
  const std::int64_t n_groups = n_cols / gs;
  // Python int(max_shrink * n_grid): truncation of the double product.
  const auto n_steps = static_cast<std::int32_t>(p.max_shrink * static_cast<double>(p.n_grid));
  std::vector<float> best(static_cast<std::size_t>(n_rows * n_groups));
  std::vector<float> xg(static_cast<std::size_t>(n_tokens * gs));
  std::vector<float> wg, cur, org_max, min_err, org_out, cur_out;
  for (std::int64_t g = 0; g < n_groups; ++g) {
    for (std::int64_t t = 0; t < n_tokens; ++t)
      std::copy_n(x + t * n_cols + g * gs, gs, xg.data() + t * gs);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += k_row_batch) {
      const std::int64_t nb = std::min(k_row_batch, n_rows - r0);
      wg.resize(static_cast<std::size_t>(nb * gs));
      cur.resize(wg.size());
      org_max.assign(static_cast<std::size_t>(nb), 0.0f);
      min_err.assign(static_cast<std::size_t>(nb), k_initial_error);
      org_out.resize(static_cast<std::size_t>(n_tokens * nb));
      cur_out.resize(org_out.size());
      for (std::int64_t r = 0; r < nb; ++r) {
        std::copy_n(w + (r0 + r) * n_cols + g * gs, gs, wg.data() + r * gs);
        for (std::int64_t j = 0; j < gs; ++j) org_max[r] = std::max(org_max[r], std::fabs(wg[r * gs + j]));
        best[static_cast<std::size_t>((r0 + r) * n_groups + g)] = org_max[r];
      }
      product(xg.data(), n_tokens, wg.data(), nb, gs, org_out.data());
      for (std::int32_t i = 0; i < n_steps; ++i) {
        // torch multiplies the float32 tensor by the Python float (1 - i/n_grid) cast to float32.
        const auto factor = static_cast<float>(1.0 - static_cast<double>(i) / static_cast<double>(p.n_grid));
        for (std::int64_t r = 0; r < nb; ++r) {
          const float max_val = org_max[r] * factor;
          float* row = cur.data() + r * gs;
          for (std::int64_t j = 0; j < gs; ++j) row[j] = std::min(std::max(wg[r * gs + j], -max_val), max_val);
          awq_quantize_group(row, gs, p.bits, p.zero_point, nullptr);
        }
        product(xg.data(), n_tokens, cur.data(), nb, gs, cur_out.data());
        for (std::int64_t r = 0; r < nb; ++r) {
          double sum = 0.0;
          for (std::int64_t t = 0; t < n_tokens; ++t) {
            const float d = cur_out[t * nb + r] - org_out[t * nb + r];
            sum += static_cast<double>(d) * static_cast<double>(d);
          }
          const auto err = static_cast<float>(sum / static_cast<double>(n_tokens));
          if (err < min_err[r]) {
            min_err[r] = err;
            best[static_cast<std::size_t>((r0 + r) * n_groups + g)] = org_max[r] * factor;
          }
        }
      }
    }
  }
  return best;
}

void awq_apply_clip(float* w, std::int64_t n_rows, std::int64_t n_cols, std::int64_t group_size,
                    const std::vector<float>& max_val) {
  const std::int64_t gs = group_size == -1 ? n_cols : group_size;
  const std::int64_t n_groups = n_cols / gs;
  for (std::int64_t r = 0; r < n_rows; ++r)
    for (std::int64_t c = 0; c < n_cols; ++c) {
      const float m = max_val[static_cast<std::size_t>(r * n_groups + c / gs)];
      float& v = w[r * n_cols + c];
      v = std::min(std::max(v, -m), m);
    }
}

}  // namespace kick::methods
