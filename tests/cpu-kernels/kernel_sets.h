// The cpu backend's instruction sets a kernel test runs on: those this machine supports; the
// others are reported (WARN) and skipped.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
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

// What a layer on `kernels` names as its int8-activation kernel ("int8-activations <this>"): VNNI
// on AVX-512 CPUs that have it, vpmaddubsw on the other x86 sets (AVX-512 without VNNI included),
// the portable kernel on "generic". Computed here, not asked of the backend.
inline std::string expected_q8_kernel(const kernel_set& kernels) {
  const std::string_view isa = kernels.isa;
  if (isa == "generic") return "generic";
#if defined(__x86_64__)
  if (isa == "avx512f" && __builtin_cpu_supports("avx512vnni")) return "avx512-vnni";
#endif
  return "avx2";
}

}  // namespace kick::cpu::testing
