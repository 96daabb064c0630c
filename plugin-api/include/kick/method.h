// kick plugin API: compression methods are one pure function over one linear layer.
#pragma once

#include <cstdint>
#include <string>

#include "kick/status.h"

namespace kick {

// A dense, writable f32 matrix [n_rows = n_out, n_cols = n_in], rows row_stride floats apart.
struct matrix_f32 {
  float* data = nullptr;
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::int64_t row_stride = 0;
  float* row(std::int64_t i) const { return data + i * row_stride; }
};

// Calibration statistics of the layer's inputs; a pointer is null unless the method's manifest
// lists the statistic under [method] needs.
struct layer_stats {
  const float* hessian = nullptr;            // [n_cols, n_cols]: (2/N) * sum x x^T
  const float* input_col_sq_norm = nullptr;  // [n_cols]: sum over samples of x_j^2
  std::int64_t n_samples = 0;                // calibration tokens seen
};

struct layer_info {
  std::string name;        // e.g. "layers.7.mlp.down_proj"
  std::int64_t block = 0;  // decoder block index
};

struct method_report {
  double achieved_sparsity = 0.0;  // fraction of zero weights after compression
  double bits_per_weight = 32.0;   // storage bits per weight the method's format needs
};

class method {
 public:
  virtual ~method() = default;
  // Compresses `weight` in place (the result is written back as f32 values).
  virtual result<method_report> compress(const layer_info& layer, matrix_f32 weight, const layer_stats& stats) = 0;
};

}  // namespace kick
