// The common parameter names of the method plugins (issue 4): parsing and range checks shared by
// sparsegpt, gptq and rtn, so that each create() refuses bad values before any work with a
// message naming the parameter and the accepted range.
#pragma once

#include <cstdint>
#include <string>

#include "kick/params.h"
#include "kick/status.h"

namespace kick::methods {

// `pattern`: "unstructured" or "N:M". N:M keeps N of every M consecutive input columns of a row
// (the paper's reading; prune M - N). For 1:2, 2:4 and 4:8 this is also the references' reading
// (they prune prune_n = N of M), since there N = M/2.
struct sparsity_pattern {
  bool structured = false;
  std::int32_t n_kept = 0;
  std::int32_t m = 0;
};
result<sparsity_pattern> parse_pattern(const std::string& text);

result<double> sparsity_param(const param_map& params);                      // [0, 1)
result<std::int32_t> bits_param(const param_map& params, bool allow_16);     // 2..8 (or 16)
result<std::int64_t> group_size_param(const param_map& params);              // -1 or > 0
result<std::int64_t> blocksize_param(const param_map& params);               // >= 1
result<double> percdamp_param(const param_map& params);                      // [0, 1e6], finite

// A group size that does not divide the layer's input size (checked in compress()).
status check_group_divides(std::int64_t group_size, std::int64_t n_cols);

}  // namespace kick::methods
