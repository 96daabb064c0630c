#include "quant_grid.h"

namespace kick::methods {

quant_grid find_grid(const float* x, std::int64_t n, std::int64_t stride, int bits, bool sym) {
  // x.min(1) / x.max(1), then torch.minimum(..., 0) / torch.maximum(..., 0).
  float lo = x[0], hi = x[0];
  for (std::int64_t i = 1; i < n; ++i) {
    const float v = x[i * stride];
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  float xmin = std::min(lo, 0.0f);
  float xmax = std::max(hi, 0.0f);
  if (sym) {
    xmax = std::max(std::fabs(xmin), xmax);
    if (xmin < 0.0f) xmin = -xmax;
  }
  if (xmin == 0.0f && xmax == 0.0f) {
    xmin = -1.0f;
    xmax = 1.0f;
  }
  const float maxq = quant_maxq(bits);
  quant_grid g;
  g.scale = (xmax - xmin) / maxq;
  g.zero = sym ? (maxq + 1.0f) / 2.0f : std::nearbyint(-xmin / g.scale);
  return g;
}

}  // namespace kick::methods
