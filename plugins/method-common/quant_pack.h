// Building a group_quant_layout (kick/formats.h) from per-element codes and per-group grids.
#pragma once

#include <cstdint>
#include <vector>

#include "kick/formats.h"
#include "quant_grid.h"

namespace kick::methods {

// codes: [n_rows, n_cols] in original column order, each in [0, 2^bits); grids: [n_rows, n_groups].
// group_size: columns per group (n_cols for one group per row); g_idx: empty, or the group of
// every column (act-order with dynamic groups).
group_quant_layout pack_group_quant(const std::vector<std::uint8_t>& codes, std::int64_t n_rows, std::int64_t n_cols,
                                    std::int32_t bits, std::int64_t group_size, const std::vector<quant_grid>& grids,
                                    std::int64_t n_groups, std::vector<std::int32_t> g_idx, bool symmetric);

}  // namespace kick::methods
