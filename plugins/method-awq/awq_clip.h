// AWQ's clipping search: llm-awq auto_clip.py auto_clip_layer (compression_refs.md §5.2).
#pragma once

#include <cstdint>
#include <vector>

namespace kick::methods {

struct awq_params;

// The token stride of the clip search: the reference's n_tok // 512 (n_sample_token = 512),
// which is 0 below 512 tokens and makes the reference crash (a zero slice step); kick uses 1 then.
std::int64_t awq_clip_token_stride(std::int64_t n_tokens);

// w: the scaled weight W diag(s) [n_rows, n_cols] row-major; x: the scaled inputs X / s of the
// sub-sampled tokens (rows 0, stride, 2*stride, ... of the calibration inputs) [n_tokens, n_cols].
// For every
// (row, group of group_size columns) and shrink step i in 0..int(max_shrink * n_grid) - 1:
// max_val = max|w_group| * (1 - i/n_grid), clamp w to [-max_val, max_val] (symmetric even for the
// asymmetric grid), quantize, err = mean_t (sum_{j in group} x_tj (q_j - w_j))^2 in float32; the
// first strict minimum below the reference's initial 1e9 wins (else step 0, no clipping).
// Returns best max_val [n_rows, n_groups]. Rows are processed in batches of 256; every row is
// independent, so the batching does not change results (the reference's batch of 256 or 64
// rows, which asserts divisibility, is a memory device only). group_size = -1 clips whole rows;
// the reference cannot run that combination (its quantizer asserts a 2-D input there).
std::vector<float> awq_search_clip(const float* w, std::int64_t n_rows, std::int64_t n_cols, const float* x,
                                   std::int64_t n_tokens, const awq_params& p);

// Clamps every (row, group) of w to [-max_val, max_val] in place (apply_clip).
void awq_apply_clip(float* w, std::int64_t n_rows, std::int64_t n_cols, std::int64_t group_size,
                    const std::vector<float>& max_val);

}  // namespace kick::methods
