#include "support/layout_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "kick/format_codec.h"

namespace kick::test {

std::vector<float> densify(const weight_layout& layout, std::int64_t n_out, std::int64_t n_in) {
  const compressed_weight cw{n_out, n_in, layout};
  const status s = check_layout(cw);
  INFO(s.message());
  REQUIRE(s.ok());
  std::vector<float> out(static_cast<std::size_t>(n_out * n_in));
  kick::densify(cw, out.data());
  return out;
}


compressed_weight pruned_nm(std::int64_t rows, std::int64_t cols, int n, int m, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(rows * cols));
  for (float& v : w) v = normal(rng);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t g = 0; g < cols / m; ++g) {
      float* group = w.data() + r * cols + g * m;
      std::vector<int> order(static_cast<std::size_t>(m));
      for (int k = 0; k < m; ++k) order[static_cast<std::size_t>(k)] = k;
      std::sort(order.begin(), order.end(), [&](int a, int b) { return std::fabs(group[a]) > std::fabs(group[b]); });
      const int keep = r == 0 ? 0 : (r == 1 && g % 3 == 0 ? 1 : n);
      for (int k = keep; k < m; ++k) group[order[static_cast<std::size_t>(k)]] = 0.0f;
    }
  }
  auto layout = encode_nm(matrix_f32{w.data(), rows, cols, cols}, n, m);
  REQUIRE(layout);
  return compressed_weight{rows, cols, std::move(*layout)};
}

}  // namespace kick::test
