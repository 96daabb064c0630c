#include "core/util/rows_to_f32.h"

#include "kick/convert.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kick {

namespace {

#if defined(__x86_64__)
// vcvtph2ps is exact for every f16 value, as f16_to_f32 is (subnormals included); a signalling NaN
// comes out quiet, which no weight that passes the model checks holds.
__attribute__((target("avx,f16c"))) void f16_row_f16c(const std::uint16_t* src, float* dst, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

bool has_f16c() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
}
#endif

}  // namespace

void row_to_f32(dtype type, const void* src, float* dst, std::int64_t n) {
#if defined(__x86_64__)
  static const bool f16c = has_f16c();
  if (type == dtype::f16 && f16c) return f16_row_f16c(static_cast<const std::uint16_t*>(src), dst, n);
#endif
  dequantize_row(type, src, dst, n);
}

}  // namespace kick
