#include "quant_pack.h"

#include "kick/format_codec.h"

namespace kick::methods {

group_quant_layout pack_group_quant(const std::vector<std::uint8_t>& codes, std::int64_t n_rows, std::int64_t n_cols,
                                    std::int32_t bits, std::int64_t group_size, const std::vector<quant_grid>& grids,
                                    std::int64_t n_groups, std::vector<std::int32_t> g_idx, bool symmetric) {
  group_quant_layout l;
  l.bits = bits;
  l.group_size = group_size;
  l.symmetric = symmetric;
  l.words_per_row = quant_words_per_row(n_cols, bits);
  l.n_groups = n_groups;
  l.packed.assign(static_cast<std::size_t>(n_rows * l.words_per_row), 0u);
  for (std::int64_t r = 0; r < n_rows; ++r)
    for (std::int64_t c = 0; c < n_cols; ++c) set_quant_code(l, r, c, codes[static_cast<std::size_t>(r * n_cols + c)]);
  l.scales.resize(grids.size());
  l.zeros.resize(grids.size());
  for (std::size_t i = 0; i < grids.size(); ++i) {
    l.scales[i] = grids[i].scale;
    l.zeros[i] = grids[i].zero;
  }
  l.g_idx = std::move(g_idx);
  return l;
}

}  // namespace kick::methods
