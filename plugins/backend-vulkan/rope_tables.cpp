#include "rope_tables.h"

#include <cmath>
#include <cstddef>

namespace kick::vk {

rope_tables_host make_rope_tables(std::int64_t head_dim, std::int64_t n_ctx, double theta) {
  rope_tables_host t;
  const std::int64_t half = head_dim / 2;
  if (half <= 0 || n_ctx <= 0) return t;
  const auto n = static_cast<std::size_t>(n_ctx * half);
  t.cos.resize(n);
  t.sin.resize(n);
  for (std::int64_t i = 0; i < half; ++i) {
    const double freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
    for (std::int64_t pos = 0; pos < n_ctx; ++pos) {
      const double angle = static_cast<double>(pos) * freq;
      const auto at = static_cast<std::size_t>(pos * half + i);
      t.cos[at] = static_cast<float>(std::cos(angle));
      t.sin[at] = static_cast<float>(std::sin(angle));
    }
  }
  return t;
}

}  // namespace kick::vk
