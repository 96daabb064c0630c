// One-shot magnitude pruning as the Wanda repository's prune_magnitude (lib/prune.py), which
// LLM-KICK uses, faithful to compression_refs.md §3. Data-free: no calibration statistics.
#pragma once

#include "kick/method.h"
#include "kick/params.h"
#include "pruning_mask.h"

namespace kick::methods {

struct magnitude_params {
  double sparsity = 0.5;              // unstructured ratio; ignored by N:M patterns (as the reference)
  pruning::sparsity_pattern pattern;  // unstructured or N:M (M = 2N)
};

// Reads and range-checks `sparsity` and `pattern`.
result<magnitude_params> parse_magnitude_params(const param_map& params);

// Prunes `weight` [n_out, n_in] in place.
// Unstructured: one threshold for the whole matrix, thresh = sort(|W|.flatten())[int(numel * s)],
// every entry with |W| <= thresh is zeroed (int(numel*s) + 1 zeros, plus ties); returns encode_bitmap.
// sparsity 0 leaves the layer dense (the reference driver prunes only when sparsity_ratio != 0).
// N:M: per row, in every group of M consecutive input columns, the N smallest |W| are zeroed;
// returns encode_nm.
result<method_output> magnitude_compress(const matrix_f32& weight, const magnitude_params& p);

}  // namespace kick::methods
