#include "rtn.h"

#include <vector>

#include "hessian_prep.h"
#include "kick/format_codec.h"
#include "method_params.h"
#include "quant_grid.h"
#include "quant_pack.h"

namespace kick::methods {

result<rtn_params> parse_rtn_params(const param_map& params) {
  rtn_params p;
  auto bits = bits_param(params, true);
  if (!bits) return std::unexpected(bits.error());
  auto group = group_size_param(params);
  if (!group) return std::unexpected(group.error());
  auto sym = params.get_bool("sym");
  if (!sym) return std::unexpected(sym.error());
  p.bits = *bits;
  p.group_size = *group;
  p.sym = *sym;
  return p;
}

result<method_output> rtn_compress(const matrix_f32& weight, const rtn_params& p) {
  method_output out;
  if (p.bits == 16) return out;
  const std::int64_t rows = weight.n_rows, n = weight.n_cols;
  if (status s = check_group_divides(p.group_size, n); !s.ok()) return std::unexpected(s);
  if (status s = check_finite("weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  const std::int64_t gs = p.group_size == -1 ? n : p.group_size;
  const std::int64_t n_groups = n / gs;
  const float maxq = quant_maxq(p.bits);
  std::vector<quant_grid> grids(static_cast<std::size_t>(rows * n_groups));
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(rows * n));
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = weight.row(r);
    for (std::int64_t g = 0; g < n_groups; ++g) {
      const quant_grid grid = find_grid(row + g * gs, gs, 1, p.bits, p.sym);
      grids[static_cast<std::size_t>(r * n_groups + g)] = grid;
      for (std::int64_t c = g * gs; c < (g + 1) * gs; ++c) {
        const float code = quant_code_f(row[c], grid, maxq);
        codes[static_cast<std::size_t>(r * n + c)] = static_cast<std::uint8_t>(code);
        row[c] = dequant(code, grid);
      }
    }
  }
  if (status s = check_finite("quantized weight", weight.data, rows, n, weight.row_stride); !s.ok()) return std::unexpected(s);
  out.layout = pack_group_quant(codes, rows, n, p.bits, gs, grids, n_groups, {}, p.sym);
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, n, out.layout});
  return out;
}

}  // namespace kick::methods
