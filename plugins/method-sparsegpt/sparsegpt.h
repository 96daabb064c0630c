// SparseGPT (IST-DASLab/sparsegpt, sparsegpt.py SparseGPT.fasterprune) over one linear layer,
// faithful to compression_refs.md §1. The plugin (sparsegpt_plugin.cpp) only wraps these functions.
#pragma once

#include <cstdint>

#include "kick/method.h"
#include "kick/params.h"
#include "method_params.h"

namespace kick::methods {

struct sparsegpt_params {
  double sparsity = 0.5;        // unstructured ratio; ignored by N:M patterns (as the reference)
  sparsity_pattern pattern;     // unstructured or N:M (keep N of every M)
  std::int32_t bits = 16;       // < 16: joint quantization on a per-row asymmetric grid
  std::int64_t blocksize = 128;
  double percdamp = 0.01;
};

// Reads and range-checks sparsity, pattern, bits, blocksize, percdamp. N:M needs blocksize % M == 0.
result<sparsegpt_params> parse_sparsegpt_params(const param_map& params);

// Prunes (and optionally quantizes) `weight` [n_out, n_in] in place given H [n_in, n_in] (not
// modified). Unstructured sparsity 0 without quantization returns the layer untouched (dense):
// the reference drivers never call fasterprune then (fasterprune itself would still prune the
// smallest score of every block). Sparsity 0 with bits < 16 (no reference behaviour: the driver
// skips) runs the joint path with an empty mask, i.e. GPTQ-style quantization on SparseGPT's grid.
// Returns encode_nm / encode_bitmap of the result, or a group_quant_layout (one group
// per row) when bits < 16.
result<method_output> sparsegpt_compress(const matrix_f32& weight, const float* hessian, const sparsegpt_params& p);

}  // namespace kick::methods
