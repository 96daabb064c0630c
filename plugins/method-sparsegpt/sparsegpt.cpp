#include "sparsegpt.h"

#include <algorithm>
#include <vector>

#include "hessian_prep.h"
#include "kick/format_codec.h"
#include "quant_grid.h"
#include "quant_pack.h"

namespace kick::methods {

result<sparsegpt_params> parse_sparsegpt_params(const param_map& params) {
  sparsegpt_params p;
  auto sparsity = sparsity_param(params);
  if (!sparsity) return std::unexpected(sparsity.error());
  auto pattern_text = params.get_string("pattern");
  if (!pattern_text) return std::unexpected(pattern_text.error());
  auto pattern = parse_pattern(*pattern_text);
  if (!pattern) return std::unexpected(pattern.error());
  auto bits = bits_param(params, true);
  if (!bits) return std::unexpected(bits.error());
  auto block = blocksize_param(params);
  if (!block) return std::unexpected(block.error());
  auto damp = percdamp_param(params);
  if (!damp) return std::unexpected(damp.error());
  if (pattern->structured && *block % pattern->m != 0)
    return fail(status_code::invalid_argument,
                detail::format("blocksize {} is not a multiple of M = {} of pattern {}", *block, pattern->m, *pattern_text));
  p.sparsity = *sparsity;
  p.pattern = *pattern;
  p.bits = *bits;
  p.blocksize = *block;
  p.percdamp = *damp;
  return p;
}

namespace {

// Marks in mask[0, m) the m - n_kept smallest scores (ties: the lower index is pruned first; the
// reference's torch.topk leaves the tie order to the implementation).
void mark_nm(const float* score, std::int32_t m, std::int32_t n_prune, std::uint8_t* mask) {
  for (std::int32_t k = 0; k < n_prune; ++k) {
    std::int32_t best = -1;
    for (std::int32_t j = 0; j < m; ++j)
      if (!mask[j] && (best < 0 || score[j] < score[best])) best = j;
    mask[best] = 1;
  }
}

}  // namespace

result<method_output> sparsegpt_compress(const matrix_f32& weight, const float* hessian, const sparsegpt_params& p) {
  method_output out;
  const std::int64_t rows = weight.n_rows, n = weight.n_cols;
  const bool nm = p.pattern.structured;
  const bool quantize = p.bits < 16;
  // The reference drivers call fasterprune only when sparsity or prunen is set.
  if (!nm && p.sparsity == 0.0 && !quantize) return out;
  if (hessian == nullptr) return fail(status_code::failed_precondition, "sparsegpt needs the hessian statistic");
  if (nm && n % p.pattern.m != 0)
    return fail(status_code::invalid_argument,
                detail::format("the layer's {} input columns are not a multiple of M = {}", n, p.pattern.m));
  if (status s = check_finite("weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  if (status s = check_finite("hessian", hessian, n, n, n); !s.ok()) return std::unexpected(s);

  // 1. The joint quantizer's per-row asymmetric grid, once on the whole original W.
  const float maxq = quant_maxq(quantize ? p.bits : 8);
  std::vector<quant_grid> grids;
  if (quantize) {
    grids.resize(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) grids[static_cast<std::size_t>(r)] = find_grid(weight.row(r), n, 1, p.bits, false);
  }
  // 2-4. Dead inputs, damping, U = upper Cholesky factor of H^-1.
  std::vector<float> h(hessian, hessian + n * n);
  zero_dead_inputs(h.data(), n, weight);
  if (status s = damp_and_invert_upper(h.data(), n, p.percdamp); !s.ok()) return std::unexpected(s);
  const float* u = h.data();

  // 5. Column blocks; W (= weight) receives only the lazy inter-block updates, each row's
  //    in-block work runs on its own copy W1 (rows are independent inside a block).
  const std::int64_t bs = p.blocksize;
  std::vector<float> err(static_cast<std::size_t>(rows * std::min(bs, n)));
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(rows * std::min(bs, n)));
  std::vector<std::uint8_t> codes(quantize ? static_cast<std::size_t>(rows * n) : 0);
  std::vector<float> scores;
  const std::int32_t n_prune = nm ? p.pattern.m - p.pattern.n_kept : 0;
  for (std::int64_t i1 = 0; i1 < n; i1 += bs) {
    const std::int64_t i2 = std::min(i1 + bs, n), count = i2 - i1;
    std::fill(mask.begin(), mask.end(), std::uint8_t{0});
    if (!nm && p.sparsity > 0.0) {
      // Unstructured: one threshold over the whole rows x count block at its start,
      // score = W1^2 / diag(Hinv1)^2, threshold = sorted[int(numel * sparsity)], prune score <= threshold.
      const std::size_t numel = static_cast<std::size_t>(rows * count);
      scores.resize(numel);
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < count; ++i) {
          const float w = weight.row(r)[i1 + i];
          const float d = u[(i1 + i) * n + i1 + i];
          scores[static_cast<std::size_t>(r * count + i)] = (w * w) / (d * d);
        }
      std::vector<float> sorted = scores;
      const std::size_t k = static_cast<std::size_t>(static_cast<double>(numel) * p.sparsity);
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
      const float thresh = sorted[k];
      for (std::size_t e = 0; e < numel; ++e) mask[e] = scores[e] <= thresh ? 1 : 0;
    }
#pragma omp parallel
    {
      std::vector<float> w1(static_cast<std::size_t>(count));
      std::vector<float> score(static_cast<std::size_t>(nm ? p.pattern.m : 0));
#pragma omp for schedule(static)
      for (std::int64_t r = 0; r < rows; ++r) {
        float* outer = weight.row(r);
        std::uint8_t* mrow = mask.data() + r * count;
        std::copy(outer + i1, outer + i2, w1.begin());
        for (std::int64_t i = 0; i < count; ++i) {
          const std::int64_t col = i1 + i;
          if (nm && i % p.pattern.m == 0) {
            // N:M chosen lazily on the current, already-updated W1.
            for (std::int32_t j = 0; j < p.pattern.m; ++j) {
              const float w = w1[static_cast<std::size_t>(i + j)];
              const float d = u[(col + j) * n + col + j];
              score[static_cast<std::size_t>(j)] = (w * w) / (d * d);
            }
            mark_nm(score.data(), p.pattern.m, n_prune, mrow + i);
          }
          const float x = w1[static_cast<std::size_t>(i)];
          float q = mrow[i] ? 0.0f : x;
          if (quantize) {
            const quant_grid& g = grids[static_cast<std::size_t>(r)];
            const float code = quant_code_f(q, g, maxq);
            codes[static_cast<std::size_t>(r * n + col)] = static_cast<std::uint8_t>(code);
            q = dequant(code, g);
          }
          const float e = (x - q) / u[col * n + col];
          err[static_cast<std::size_t>(r * count + i)] = e;
          const float* urow = u + col * n + i1;
          for (std::int64_t j = i + 1; j < count; ++j) w1[static_cast<std::size_t>(j)] -= e * urow[j];
          outer[col] = q;
        }
      }
    }
    apply_lazy_update(weight.data, weight.row_stride, rows, n, err.data(), u, i1, i2);
  }

  if (status s = check_finite("pruned weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  if (quantize) {
    out.layout = pack_group_quant(codes, rows, n, p.bits, n, grids, 1, {}, false);
  } else if (nm) {
    auto packed = encode_nm(weight, p.pattern.n_kept, p.pattern.m);
    if (!packed) return std::unexpected(packed.error());
    out.layout = std::move(*packed);
  } else {
    out.layout = encode_bitmap(weight);
  }
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, n, out.layout});
  return out;
}

}  // namespace kick::methods
