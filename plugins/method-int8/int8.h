// LLM.int8()-style weight quantization (compression_refs.md §7), weight side only:
//   per output row: SCB = max |W_row| over the WHOLE row (outlier columns included, as
//   bitsandbytes computes the row statistics of the full weight), q = round(W * (127 / SCB))
//   (round-half-to-even, as torch.round); the layer is q * SCB / 127.
//   Outlier columns: the input columns whose calibration max |x| >= threshold (bitsandbytes:
//   columns holding any activation with |x| >= threshold in the batch; kick takes the batch to be
//   the whole calibration set). Their weights stay in floating point and their q is 0.
// Which of the two published behaviours: the paper's (LLM.int8(), Dettmers et al. 2022) mixed-
// precision decomposition multiplies the outlier columns in fp16 with the fp16 weights; current
// bitsandbytes (MatMul8bitLt) uses the int8-roundtripped weights CB*SCB/127 for them (a "TODO:
// if state.has_fp16_weights" comment). kick implements the paper's: it is the method's definition,
// and it is what a weight-only emulation can be faithful to (the inference-time activation
// quantization that decides bitsandbytes' numbers is not emulated; activations stay f32).
// threshold = 0 means no decomposition (bitsandbytes' Linear8bitLt default). A row of zeros gets
// SCB = 0, q = 0 and row_scale 0 (bitsandbytes would divide by zero).
#pragma once

#include "kick/method.h"
#include "kick/params.h"

namespace kick::methods {

struct int8_params {
  double threshold = 6.0;
};

result<int8_params> parse_int8_params(const param_map& params);

// input_abs_max: [n_cols], required when threshold > 0. Leaves the dequantized layer in `weight`.
result<method_output> int8_compress(const matrix_f32& weight, const float* input_abs_max, const int8_params& p);

}  // namespace kick::methods
