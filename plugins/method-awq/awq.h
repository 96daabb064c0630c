// AWQ (mit-han-lab/llm-awq), compression_refs.md §5, as a one-layer method:
//   1. scale search (auto_scale.py _search_module_scale): for ratio = k/n_grid, k = 0..n_grid-1,
//      s = clamp(x_max^ratio, 1e-4), s /= sqrt(max(s) * min(s)), W' = Q(W diag(s)) / s,
//      loss = mean over calibration tokens and outputs of (X W'^T - X W^T)^2; the first strict
//      minimum wins. x_max = mean_t |x_t| per input channel (layer_stats::input_abs_mean).
//   2. clip search (auto_clip.py auto_clip_layer) on W diag(s) with inputs X / s, unless the
//      layer is a query/key projection (awq_clips_layer).
//   3. Q = pseudo_quantize_tensor of the clipped W diag(s); the layer is Q / s, stored as a
//      group_quant_layout with input_scale = s.
// Deviation from the reference (documented in the manifest too): the reference scores a ratio by
// the output of module2inspect, which for q/k/v is the whole attention block, for gate/up the
// whole MLP and for o_proj the attention output through v_proj's scaling; only its
// up_proj -> down_proj group inspects the layer itself. kick's method API sees one layer, so
// every layer is scored by its own output error (exactly the reference for down_proj), and the
// previous op's 1/s is stored as the layer's input_scale instead of being folded into a norm or
// the previous linear (the same function of the layer's input). Everything runs in float32 (the
// reference runs the model in fp16 on a GPU and casts the loss to float); products are OpenBLAS
// sgemm and squared errors are summed in double, then rounded to float32 like torch's .mean(), so
// results agree with a torch float32 port to about 1e-7 relative, not bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kick/method.h"
#include "kick/params.h"

namespace kick::methods {

struct awq_params {
  std::int32_t bits = 4;          // 2..8
  std::int64_t group_size = 128;  // -1: one group per output row
  bool zero_point = true;
  std::int32_t n_grid = 20;       // scale-search grid points and clip shrink step 1/n_grid
  double max_shrink = 0.5;        // clip steps 0..int(max_shrink * n_grid) - 1
};

// Range checks of every parameter (create() calls it before any work).
result<awq_params> parse_awq_params(const param_map& params);

// The scale search's result: the chosen s, the loss of every grid point, the chosen index.
struct awq_scale_choice {
  std::vector<float> scales;   // [n_in]
  std::vector<double> losses;  // [n_grid], NaN where the loss was not finite
  std::int32_t best = -1;
};

// Step 1. x: [n_tokens, n_in] token rows; x_max: [n_in]. Fails when no grid point gives a finite
// loss (the reference raises there too).
result<awq_scale_choice> awq_search_scales(const matrix_f32& weight, const float* x, std::int64_t n_tokens,
                                           const float* x_max, const awq_params& p);

// Whether the clip search runs for this layer: the reference skips names containing "q_", "k_",
// "query", "key" or "Wqkv"; for kick's layer names that is the names ending in q_proj / k_proj.
bool awq_clips_layer(const std::string& layer_name);

// The whole method. Leaves the dequantized layer (Q / s) in `weight` and returns the layout.
result<method_output> awq_compress(const layer_info& layer, const matrix_f32& weight, const layer_stats& stats,
                                   const awq_params& p);

}  // namespace kick::methods
