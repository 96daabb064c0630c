// Random layers and calibration inputs for the sparsegpt / gptq / rtn tests: correlated inputs
// X = Z A (random mixing A) with a few input channels scaled x20, over several sequences, and
// statistics made exactly as the host makes them (kick::layer_statistics).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/calibrate/layer_statistics.h"
#include "kick/format_codec.h"
#include "kick/formats.h"
#include "kick/params.h"
#include "support/layout_support.h"

namespace obs_test {

struct layer_case {
  std::int64_t n_out = 0, n_in = 0;
  std::vector<float> weight;  // [n_out, n_in]
  std::vector<float> inputs;  // [n_tokens, n_in]
  std::int64_t n_tokens = 0;
  std::vector<float> hessian;  // [n_in, n_in], from layer_statistics
};

// n_seq sequences of seq_len tokens; `dead` input channels are all-zero.
layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     std::vector<std::int64_t> dead = {});

inline kick::matrix_f32 as_matrix(std::vector<float>& w, std::int64_t n_out, std::int64_t n_in) {
  return kick::matrix_f32{w.data(), n_out, n_in, n_in};
}

// ||X W^T - X Wc^T||_F^2 over the case's inputs.
double output_error(const layer_case& c, const std::vector<float>& compressed);

// The densified matrix of a layout (check_layout must pass).
using kick::test::densify;

// Magnitude pruning per the Wanda repo (prune |W| <= sorted|W|[int(numel*s)]), for comparisons.
std::vector<float> magnitude_prune(const std::vector<float>& w, double sparsity);

}  // namespace obs_test
