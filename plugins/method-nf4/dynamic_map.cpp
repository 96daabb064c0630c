#include "dynamic_map.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kick::methods {

namespace {

// torch.linspace(start, end, steps) in float32 (scalar kernel formula).
std::vector<float> linspace_f32(float start, float end, std::int64_t steps) {
  std::vector<float> out(static_cast<std::size_t>(steps));
  if (steps == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / static_cast<float>(steps - 1);
  const std::int64_t halfway = steps / 2;
  for (std::int64_t k = 0; k < steps; ++k)
    out[static_cast<std::size_t>(k)] =
        k < halfway ? start + step * static_cast<float>(k) : end - step * static_cast<float>(steps - k - 1);
  return out;
}

std::array<float, 256> build_map() {
  constexpr double k_powers[7] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};  // 10 ** (-(7 - 1) + i)
  std::vector<float> data;
  for (int i = 0; i < 7; ++i) {
    const std::vector<float> boundaries = linspace_f32(static_cast<float>(0.1), 1.0f, (std::int64_t{1} << i) + 1);
    const auto scale = static_cast<float>(k_powers[i]);  // the Python scalar as torch casts it
    std::vector<float> means;
    for (std::size_t k = 0; k + 1 < boundaries.size(); ++k) means.push_back((boundaries[k] + boundaries[k + 1]) / 2.0f);
    for (float m : means) data.push_back(scale * m);
    for (float m : means) data.push_back(-scale * m);
  }
  data.push_back(0.0f);
  data.push_back(1.0f);
  std::sort(data.begin(), data.end());
  std::array<float, 256> map{};
  std::copy_n(data.begin(), 256, map.begin());
  return map;
}

}  // namespace

const std::array<float, 256>& signed_dynamic_map() {
  static const std::array<float, 256> map = build_map();
  return map;
}

std::uint8_t dynamic_map_code(float scaled) {
  const std::array<float, 256>& map = signed_dynamic_map();
  std::size_t best = 0;
  float best_diff = std::fabs(scaled - map[0]);
  for (std::size_t k = 1; k < map.size(); ++k) {
    const float diff = std::fabs(scaled - map[k]);
    if (diff < best_diff) {
      best_diff = diff;
      best = k;
    }
  }
  return static_cast<std::uint8_t>(best);
}

}  // namespace kick::methods
