#include "core/bench/openblas_kernels.h"

#include <cblas.h>
#include <strings.h>

#include <cstdlib>
#include <initializer_list>

#include <fmt/format.h>

namespace kick {

namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

// OpenBLAS's AVX-512 kernel sets (its x86-64 names; compared ignoring case).
bool avx512_kernels(const std::string& name) {
  for (const char* k : {"SkylakeX", "Cooperlake", "SapphireRapids"}) {
    if (::strcasecmp(name.c_str(), k) == 0) return true;
  }
  return false;
}

}  // namespace

std::string openblas_kernels() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "unknown";
}

std::string openblas_kernels_note() {
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  if (forced == nullptr || *forced == '\0' || !cpu_has_avx512()) return "";
  const std::string kernels = openblas_kernels();
  if (avx512_kernels(kernels)) return "";
  return fmt::format(
      "note: OPENBLAS_CORETYPE={} makes OpenBLAS run its {} kernels (no AVX-512) on this AVX-512 CPU: sgemm rows (more than 8 tokens) "
      "run at about half the FMA peak; unset it for OpenBLAS's own choice (docs/env-vars.md)",
      forced, kernels);
}

}  // namespace kick
