// Test helper shared by the method suites: a layout's matrix, densified after check_layout.
#pragma once

#include <cstdint>
#include <vector>

#include "kick/formats.h"

namespace kick::test {

// The densified [n_out, n_in] matrix of a layout; fails the running test unless check_layout passes.
std::vector<float> densify(const weight_layout& layout, std::int64_t n_out, std::int64_t n_in);

}  // namespace kick::test
