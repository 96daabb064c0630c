// Accumulating the calibration statistics of one linear layer's inputs, as the references do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kick/method.h"

namespace kick {

// Which statistics to collect (the names of [method] needs).
struct statistics_request {
  bool hessian = false;
  bool input_sq_mean = false;
  bool input_abs_mean = false;
  bool input_abs_max = false;
  bool inputs = false;

  static statistics_request from_needs(const std::vector<std::string>& needs);
  bool any() const { return hessian || input_sq_mean || input_abs_mean || input_abs_max || inputs; }
};

// Running statistics over calibration sequences, in float32:
//   hessian:       after each sequence, H *= n/(n+1); n += 1; H += (2/n) * X^T X   (SparseGPT/GPTQ add_batch)
//   input_sq_mean: s *= n/(n+1); n += 1; s_j += ||X_j||^2 / n                        (Wanda add_batch)
//   input_abs_mean: sum_t |x_tj| / n_tokens;  input_abs_max: max_t |x_tj|;  inputs: every token row.
class layer_statistics {
 public:
  layer_statistics(std::int64_t n_cols, statistics_request request);

  // Adds one calibration sequence X [n_tokens, n_cols], rows row_stride floats apart.
  void add_sequence(const float* x, std::int64_t n_tokens, std::int64_t row_stride);

  // A view valid until the next add_sequence or the object's destruction.
  layer_stats view() const;

  std::int64_t n_cols() const { return n_cols_; }
  std::int64_t size_bytes() const;

 private:
  std::int64_t n_cols_;
  statistics_request request_;
  std::int64_t n_sequences_ = 0;
  std::int64_t n_tokens_ = 0;
  std::vector<float> hessian_;
  std::vector<float> sq_mean_;
  std::vector<double> abs_sum_;
  mutable std::vector<float> abs_mean_;
  std::vector<float> abs_max_;
  std::vector<float> inputs_;
};

}  // namespace kick
