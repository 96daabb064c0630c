// Random layers and calibration inputs for the magnitude / wanda tests: correlated inputs
// X = Z A (random mixing A plus a shared direction), a few input channels scaled x20, several
// sequences, and statistics made exactly as the host makes them (kick::layer_statistics).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/calibrate/layer_statistics.h"
#include "kick/format_codec.h"
#include "kick/formats.h"
#include "kick/params.h"
#include "support/layout_support.h"

namespace pruning_test {

struct layer_case {
  std::int64_t n_out = 0, n_in = 0, n_seq = 0, seq_len = 0;
  std::vector<float> weight;         // [n_out, n_in]
  std::vector<float> inputs;         // [n_seq * seq_len, n_in]
  std::vector<float> hessian;        // [n_in, n_in], from layer_statistics
  std::vector<float> input_sq_mean;  // [n_in], from layer_statistics
};

// `dead` input channels are all-zero in every token.
layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     const std::vector<std::int64_t>& dead = {});

inline kick::matrix_f32 as_matrix(std::vector<float>& w, std::int64_t n_out, std::int64_t n_in) {
  return kick::matrix_f32{w.data(), n_out, n_in, n_in};
}

// ||X W^T - X Wc^T||_F^2 over the case's inputs, in double.
double output_error(const layer_case& c, const std::vector<float>& compressed);

// The densified matrix of a layout (check_layout must pass).
using kick::test::densify;

kick::param_map params(double sparsity, const std::string& pattern, bool use_variant = false);

}  // namespace pruning_test
