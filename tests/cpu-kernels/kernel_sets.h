// The cpu backend's instruction sets a kernel test runs on: those this machine supports; the
// others are reported (WARN) and skipped.
#pragma once

#include <catch2/catch.hpp>

#include <vector>

#include "kernels.h"

namespace kick::cpu::testing {

inline std::vector<const kernel_set*> testable_kernel_sets() {
  std::vector<const kernel_set*> sets;
  for (const char* isa : {"avx512f", "avx2", "generic"}) {
    if (const kernel_set* k = find_kernels(isa)) {
      sets.push_back(k);
    } else {
      WARN("instruction set " << isa << " is not supported on this machine: its kernels are not tested");
    }
  }
  return sets;
}

}  // namespace kick::cpu::testing
