// Round-to-nearest baseline: the GPTQ repo's --nearest (opt.py), compression_refs.md §4.3 first
// bullet: one GPTQ min-max grid per output row found on the full W, then quantize(). No data.
// kick extension: group_size > 0 finds the same grid per group of consecutive input columns
// (still forced to include 0, unlike AWQ's grouped RTN); the default -1 is the reference.
#pragma once

#include <cstdint>

#include "kick/method.h"
#include "kick/params.h"

namespace kick::methods {

struct rtn_params {
  std::int32_t bits = 4;         // 2..8; 16 leaves the layer untouched
  std::int64_t group_size = -1;  // -1: one grid per output row (the reference)
  bool sym = false;
};

result<rtn_params> parse_rtn_params(const param_map& params);

// Leaves the dequantized layer in `weight` and returns its group_quant_layout.
result<method_output> rtn_compress(const matrix_f32& weight, const rtn_params& p);

}  // namespace kick::methods
