// Random layers and calibration inputs for the awq / nf4 / int8 tests: correlated inputs X = Z A
// (random mixing A) with a few salient input channels scaled x20, over several sequences, and
// statistics made exactly as the host makes them (kick::layer_statistics).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/calibrate/layer_statistics.h"
#include "kick/formats.h"
#include "support/layout_support.h"

namespace quant_test {

struct layer_case {
  std::int64_t n_out = 0, n_in = 0, n_tokens = 0;
  std::vector<float> weight;             // [n_out, n_in]
  std::vector<float> inputs;             // [n_tokens, n_in]
  std::vector<std::int64_t> salient;     // the x20 input channels
  std::shared_ptr<kick::layer_statistics> acc;  // inputs, input_abs_mean, input_abs_max
  kick::layer_stats stats() const { return acc->view(); }
};

// n_seq sequences of seq_len tokens; every `salient_every`-th input channel (from 3) is scaled x20.
layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     std::int64_t salient_every = 37);

inline kick::matrix_f32 as_matrix(std::vector<float>& w, std::int64_t n_out, std::int64_t n_in) {
  return kick::matrix_f32{w.data(), n_out, n_in, n_in};
}

// ||X W^T - X Wc^T||_F^2 over the case's inputs, in double.
double output_error(const layer_case& c, const std::vector<float>& compressed);

// The densified matrix of a layout (check_layout must pass).
using kick::test::densify;

}  // namespace quant_test
