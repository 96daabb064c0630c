// Test helpers shared by the suites: a layout's matrix densified after check_layout, and N:M layouts
// of random matrices.
#pragma once

#include <cstdint>
#include <vector>

#include "kick/formats.h"

namespace kick::test {

// The densified [n_out, n_in] matrix of a layout; fails the running test unless check_layout passes.
std::vector<float> densify(const weight_layout& layout, std::int64_t n_out, std::int64_t n_in);

// A random matrix pruned to n:m by magnitude, with row 0 all zero, every third group of row 1
// holding a single non-zero (when n > 1) and the rest random; fails the running test unless
// encode_nm takes it.
compressed_weight pruned_nm(std::int64_t rows, std::int64_t cols, int n, int m, std::uint32_t seed);

}  // namespace kick::test
