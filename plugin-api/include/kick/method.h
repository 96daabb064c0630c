// kick plugin API: compression methods are one pure function over one linear layer.
#pragma once

#include <cstdint>
#include <string>

#include "kick/formats.h"
#include "kick/status.h"

namespace kick {

// Calibration statistics of one linear layer's inputs x (one row per calibration token).
// A pointer is null unless the method's manifest lists the statistic under [method] needs.
// Accumulated in float32 as the reference implementations do: running averages over calibration
// sequences (N = n_sequences), so H and input_sq_mean carry the references' scale factors.
struct layer_stats {
  const float* hessian = nullptr;         // "hessian"        [n_cols, n_cols]: (2/N) * sum_t x_t x_t^T
  const float* input_sq_mean = nullptr;   // "input_sq_mean"  [n_cols]: (1/N) * sum_t x_tj^2 (Wanda's scaler_row)
  const float* input_abs_mean = nullptr;  // "input_abs_mean" [n_cols]: mean over tokens of |x_tj| (AWQ's x_max)
  const float* input_abs_max = nullptr;   // "input_abs_max"  [n_cols]: max over tokens of |x_tj| (LLM.int8 outliers)
  const float* inputs = nullptr;          // "inputs" [n_input_rows, n_cols]: the calibration inputs, token rows
  std::int64_t n_input_rows = 0;
  std::int64_t n_sequences = 0;           // calibration sequences seen
  std::int64_t n_tokens = 0;              // calibration tokens seen
};

struct layer_info {
  std::string name;        // e.g. "layers.7.mlp.down_proj"
  std::int64_t block = 0;  // decoder block index
};

// What a method returns for one layer: the layer in its storage layout plus a report.
// `layout` defaults to dense_layout: the f32 matrix the method wrote in place is the result.
struct method_output {
  weight_layout layout;
  double bits_per_weight = 32.0;  // storage cost the method claims; the host also computes it from `format`
  std::string notes;              // optional one-line remark for the per-layer report (e.g. a fallback taken)
};

class method {
 public:
  virtual ~method() = default;
  // Compresses one layer. `weight` is a writable f32 copy [n_out, n_in] the method may use as
  // scratch; when it returns dense_layout, `weight` as left is the compressed layer. Any other
  // layout must describe a matrix of the same shape (the host checks it with check_layout and
  // densifies it for reports). Must be deterministic: the same inputs give bit-identical outputs.
  virtual result<method_output> compress(const layer_info& layer, matrix_f32 weight, const layer_stats& stats) = 0;
};

}  // namespace kick
