// Helpers of the export suite: random layouts of every format and exact comparisons.
#pragma once

#include <cstdint>
#include <string>

#include "kick/formats.h"

namespace kick::test {

// A random, valid (check_layout passes) compressed_weight of the named variant:
// "nm-2:4", "nm-1:2", "bitmap", "quant-4", "quant-3-act-order" (g_idx + input_scale), "quant-8",
// "quant-2", "nf4", "nf4-double", "int8", "int8-no-outliers".
compressed_weight random_layout(const std::string& variant, std::uint64_t seed);

// True when both have the same shape, layout type and every field/array bit-identical.
bool same_weight(const compressed_weight& a, const compressed_weight& b);

}  // namespace kick::test
