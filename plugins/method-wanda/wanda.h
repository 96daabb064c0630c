// Wanda (locuslab/wanda lib/prune.py prune_wanda, lib/layerwrapper.py WrappedGPT), faithful to
// compression_refs.md §2: score |W_ij| * sqrt(scaler_row_j) with scaler_row = input_sq_mean
// (the mean over calibration sequences of ||X_j||^2), compared within each output row.
#pragma once

#include "kick/method.h"
#include "kick/params.h"
#include "pruning_mask.h"

namespace kick::methods {

struct wanda_params {
  double sparsity = 0.5;              // unstructured ratio; ignored by N:M patterns (as the reference)
  pruning::sparsity_pattern pattern;  // unstructured or N:M (M = 2N)
  bool use_variant = false;           // the appendix's alpha variant (unstructured only)
};

// Reads and range-checks `sparsity`, `pattern`, `use_variant` (refused with an N:M pattern, which
// the reference's variant branch never reaches).
result<wanda_params> parse_wanda_params(const param_map& params);

// What the alpha variant settled on (for reports and tests).
struct wanda_variant_result {
  double alpha = 0.0;
  float achieved_sparsity = 0.0f;  // the reference's cur_sparsity (float32)
  int iterations = 0;              // bisection steps after the first evaluation
};

// Prunes `weight` [n_out, n_in] in place given scaler_row [n_in] (input_sq_mean, not modified).
// Unstructured: per row, stable ascending sort of the score; the first int(n_in * s) columns are
// zeroed (exactly that many per row; ties: lower column first). sparsity 0 leaves the layer dense
// (the reference driver prunes only when sparsity_ratio != 0). use_variant: see wanda.cpp.
// N:M: per row, in every group of M consecutive input columns, the N smallest scores are zeroed.
// Returns encode_bitmap (unstructured) or encode_nm (N:M). `variant`, when given, receives alpha.
result<method_output> wanda_compress(const matrix_f32& weight, const float* scaler_row, const wanda_params& p,
                                     wanda_variant_result* variant = nullptr);

}  // namespace kick::methods
