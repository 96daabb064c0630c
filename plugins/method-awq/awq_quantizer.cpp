#include "awq_quantizer.h"

#include <algorithm>
#include <cmath>

namespace kick::methods {

awq_grid awq_quantize_group(float* x, std::int64_t n, int bits, bool zero_point, std::uint8_t* codes) {
  awq_grid grid;
  if (n <= 0) return grid;
  float min_int = 0.0f, max_int = 0.0f;
  if (zero_point) {
    float max_val = x[0], min_val = x[0];
    for (std::int64_t i = 1; i < n; ++i) {
      max_val = std::max(max_val, x[i]);
      min_val = std::min(min_val, x[i]);
    }
    max_int = static_cast<float>((1 << bits) - 1);
    grid.scale = std::max(max_val - min_val, 1e-5f) / max_int;
    // + 0.0f turns a -0 (from -round(+0)) into +0; the value is unchanged.
    grid.zero = std::clamp(-std::nearbyint(min_val / grid.scale), min_int, max_int) + 0.0f;
  } else {
    float max_abs = 0.0f;
    for (std::int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
    max_int = static_cast<float>((1 << (bits - 1)) - 1);
    min_int = -static_cast<float>(1 << (bits - 1));
    grid.scale = std::max(max_abs, 1e-5f) / max_int;
    grid.zero = 0.0f;
  }
  const float offset = zero_point ? 0.0f : -min_int;  // code = q + offset
  for (std::int64_t i = 0; i < n; ++i) {
    const float q = std::clamp(std::nearbyint(x[i] / grid.scale) + grid.zero, min_int, max_int);
    if (codes != nullptr) codes[i] = static_cast<std::uint8_t>(q + offset);
    x[i] = (q - grid.zero) * grid.scale;
  }
  if (!zero_point) grid.zero = offset;
  return grid;
}

}  // namespace kick::methods
