// GPTQ (IST-DASLab/gptq, gptq.py GPTQ.fasterquant) over one linear layer, faithful to
// compression_refs.md §4.2. The plugin (gptq_plugin.cpp) only wraps these functions.
#pragma once

#include <cstdint>

#include "kick/method.h"
#include "kick/params.h"

namespace kick::methods {

struct gptq_params {
  std::int32_t bits = 4;          // 2..8; 16 leaves the layer dense and untouched
  std::int64_t group_size = -1;   // -1: one grid per output row
  bool sym = false;
  bool act_order = false;
  bool static_groups = false;
  std::int64_t blocksize = 128;
  double percdamp = 0.01;
};

// Reads and range-checks bits, group_size, sym, act_order, static_groups, blocksize, percdamp.
result<gptq_params> parse_gptq_params(const param_map& params);

// Quantizes `weight` [n_out, n_in] given H [n_in, n_in] (not modified). Leaves the dequantized
// layer in `weight` and returns its group_quant_layout (dense_layout for bits 16).
result<method_output> gptq_compress(const matrix_f32& weight, const float* hessian, const gptq_params& p);

}  // namespace kick::methods
