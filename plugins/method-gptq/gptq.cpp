#include "gptq.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "hessian_prep.h"
#include "kick/format_codec.h"
#include "method_params.h"
#include "quant_grid.h"
#include "quant_pack.h"

namespace kick::methods {

result<gptq_params> parse_gptq_params(const param_map& params) {
  gptq_params p;
  auto bits = bits_param(params, true);
  if (!bits) return std::unexpected(bits.error());
  auto group = group_size_param(params);
  if (!group) return std::unexpected(group.error());
  auto block = blocksize_param(params);
  if (!block) return std::unexpected(block.error());
  auto damp = percdamp_param(params);
  if (!damp) return std::unexpected(damp.error());
  auto sym = params.get_bool("sym");
  if (!sym) return std::unexpected(sym.error());
  auto act = params.get_bool("act_order");
  if (!act) return std::unexpected(act.error());
  auto stat = params.get_bool("static_groups");
  if (!stat) return std::unexpected(stat.error());
  p.bits = *bits;
  p.group_size = *group;
  p.blocksize = *block;
  p.percdamp = *damp;
  p.sym = *sym;
  p.act_order = *act;
  p.static_groups = *stat;
  return p;
}

result<method_output> gptq_compress(const matrix_f32& weight, const float* hessian, const gptq_params& p) {
  method_output out;
  if (p.bits == 16) return out;  // the reference drivers skip GPTQ for wbits 16
  const std::int64_t rows = weight.n_rows, n = weight.n_cols;
  if (hessian == nullptr) return fail(status_code::failed_precondition, "gptq needs the hessian statistic");
  if (status s = check_group_divides(p.group_size, n); !s.ok()) return std::unexpected(s);
  if (status s = check_finite("weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  if (status s = check_finite("hessian", hessian, n, n, n); !s.ok()) return std::unexpected(s);

  const bool grouped = p.group_size != -1;
  const std::int64_t gs = grouped ? p.group_size : n;
  const std::int64_t n_groups = n / gs;
  const float maxq = quant_maxq(p.bits);
  std::vector<quant_grid> grids(static_cast<std::size_t>(rows * n_groups));

  // 1. Without groups the grid is found once on the whole original W, before dead inputs are zeroed.
  if (!grouped)
    for (std::int64_t r = 0; r < rows; ++r) grids[static_cast<std::size_t>(r)] = find_grid(weight.row(r), n, 1, p.bits, p.sym);
  // 2. Dead inputs.
  std::vector<float> h(hessian, hessian + n * n);
  zero_dead_inputs(h.data(), n, weight);
  // 3. Static groups: one grid per consecutive group of original columns, from the dead-zeroed W.
  if (grouped && p.static_groups)
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t g = 0; g < n_groups; ++g)
        grids[static_cast<std::size_t>(r * n_groups + g)] = find_grid(weight.row(r) + g * gs, gs, 1, p.bits, p.sym);
  // 4. Act-order: columns by descending diag(H). torch.argsort is not stable; we use a stable sort,
  //    so equal diagonals (e.g. dead inputs, all 1) keep ascending column order.
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  if (p.act_order) {
    std::stable_sort(perm.begin(), perm.end(), [&](std::int64_t a, std::int64_t b) { return h[a * n + a] > h[b * n + b]; });
    std::vector<float> hp(h.size());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) hp[i * n + j] = h[perm[i] * n + perm[j]];
    h.swap(hp);
  }
  std::vector<float> w(static_cast<std::size_t>(rows * n));  // working W, columns in perm order
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < n; ++c) w[r * n + c] = weight.row(r)[perm[c]];
  // 5. Damping and the Cholesky-of-the-inverse form: h becomes U.
  if (status s = damp_and_invert_upper(h.data(), n, p.percdamp); !s.ok()) return std::unexpected(s);
  const float* u = h.data();

  // 6. Column blocks. Rows are independent inside a block (each row's grid, error and update
  //    depend on that row only), so they run in parallel without changing any result.
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * n));
  const std::int64_t bs = p.blocksize;
  std::vector<float> err(static_cast<std::size_t>(rows * std::min(bs, n)));
  for (std::int64_t i1 = 0; i1 < n; i1 += bs) {
    const std::int64_t i2 = std::min(i1 + bs, n), count = i2 - i1;
#pragma omp parallel
    {
      std::vector<float> w1(static_cast<std::size_t>(count));
#pragma omp for schedule(static)
      for (std::int64_t r = 0; r < rows; ++r) {
        float* outer = w.data() + r * n;  // the outer W: only inter-block updates reach it
        std::copy(outer + i1, outer + i2, w1.begin());
        quant_grid grid = grids[static_cast<std::size_t>(r * n_groups)];
        for (std::int64_t i = 0; i < count; ++i) {
          const std::int64_t col = i1 + i;
          if (grouped && !p.static_groups) {
            // A group starting inside a block takes its grid from the outer W, which lacks the
            // intra-block error feedback of this block's earlier columns (the reference's stale grid).
            if (col % gs == 0) grids[static_cast<std::size_t>(r * n_groups + col / gs)] = find_grid(outer + col, gs, 1, p.bits, p.sym);
            grid = grids[static_cast<std::size_t>(r * n_groups + col / gs)];
          } else if (grouped) {
            grid = grids[static_cast<std::size_t>(r * n_groups + perm[col] / gs)];
          }
          const float x = w1[i];
          const float code = quant_code_f(x, grid, maxq);
          const float q = dequant(code, grid);
          codes[static_cast<std::size_t>(r * n + col)] = static_cast<std::uint8_t>(code);
          const float e = (x - q) / u[col * n + col];
          err[static_cast<std::size_t>(r * count + i)] = e;
          const float* urow = u + col * n + i1;
          for (std::int64_t j = i + 1; j < count; ++j) w1[j] -= e * urow[j];
          outer[col] = q;  // columns < col are never read again by a grid search
        }
      }
    }
    apply_lazy_update(w.data(), n, rows, n, err.data(), u, i1, i2);
  }

  // 7. Undo the permutation; build the layout (g_idx only for act-order with dynamic groups).
  std::vector<std::uint8_t> codes_orig(codes.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < n; ++c) {
      weight.row(r)[perm[c]] = w[r * n + c];
      codes_orig[r * n + perm[c]] = codes[r * n + c];
    }
  std::vector<std::int32_t> g_idx;
  if (p.act_order && grouped && !p.static_groups) {
    g_idx.resize(static_cast<std::size_t>(n));
    for (std::int64_t c = 0; c < n; ++c) g_idx[perm[c]] = static_cast<std::int32_t>(c / gs);
  }
  if (status s = check_finite("quantized weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  out.layout = pack_group_quant(codes_orig, rows, n, p.bits, gs, grids, n_groups, std::move(g_idx), p.sym);
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, n, out.layout});
  return out;
}

}  // namespace kick::methods
