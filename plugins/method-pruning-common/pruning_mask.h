// Pieces shared by the magnitude and wanda method plugins (compression_refs.md §2-§3): the common
// `sparsity` and `pattern` parameters, the references' N:M group mask, and zeroing a mask into
// the layer followed by its storage layout (encode_nm for N:M, encode_bitmap for unstructured).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kick/formats.h"
#include "kick/method.h"
#include "kick/params.h"
#include "kick/status.h"

namespace kick::pruning {

// `pattern`: "unstructured" or "N:M". The references (Wanda's and LLM-KICK's
// `prune_n, prune_m = map(int, "N:M".split(":"))`) zero the N smallest scores of every M
// consecutive input columns of a row; the paper's wording keeps N non-zeros of every M. The two
// readings agree exactly when M = 2N (1:2, 2:4, 4:8, the patterns the references run), so only
// those are accepted: N:M always means N zeros and N non-zeros in every group of M = 2N.
struct sparsity_pattern {
  bool structured = false;
  std::int32_t n = 0;  // zeros per group = non-zeros per group
  std::int32_t m = 0;  // group width, 2n, at most 64
};
result<sparsity_pattern> parse_pattern(const std::string& text);

// `sparsity` in [0, 1).
result<double> sparsity_param(const param_map& params);

// The `pattern` parameter, parsed (parse_pattern).
result<sparsity_pattern> pattern_param(const param_map& params);

// A matrix or statistic holding NaN/Inf (or, for statistics that are means of squares, a
// negative value) is a failed_precondition naming `what` and the first bad position.
status check_finite(const char* what, const matrix_f32& w);
status check_non_negative(const char* what, const float* values, std::int64_t n);

// Marks in mask[0, m) the n_prune smallest of score[0, m) (the references' torch.topk(largest=False);
// its tie order is implementation-defined, here the lower index is pruned first).
void mark_smallest_in_group(const float* score, std::int32_t m, std::int32_t n_prune, std::uint8_t* mask);

// Per row, for every group of m consecutive columns, marks the n smallest of `metric`
// ([n_rows, n_cols], dense) in `mask` (same shape, zero-initialised). n_cols must be a multiple of m.
void mark_nm(const std::vector<float>& metric, std::int64_t n_rows, std::int64_t n_cols, const sparsity_pattern& p,
             std::vector<std::uint8_t>& mask);

// The layer's input size must be a multiple of M for an N:M pattern.
status check_nm_divides(const sparsity_pattern& p, std::int64_t n_cols);

// Zeroes the marked entries of `weight` and returns its layout (encode_nm for N:M patterns,
// encode_bitmap otherwise), its storage bits per weight and a note with the achieved sparsity.
result<method_output> apply_mask(const matrix_f32& weight, const std::vector<std::uint8_t>& mask,
                                 const sparsity_pattern& p, const std::string& extra_note);

}  // namespace kick::pruning
