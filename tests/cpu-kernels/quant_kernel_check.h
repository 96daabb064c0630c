// Shared checks of the quantized-layer kernels (group-quant, NF4, int8 + outliers): one layer on
// one instruction set against a double-precision product over kick::densify, for 1..7 and 9
// tokens and row ranges that do not start at 0; decode_rows against densify bit for bit.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "compressed_linear.h"
#include "kernel_sets.h"
#include "kick/format_codec.h"

namespace kick::cpu::testing {

// The row ranges checked for a layer of n_rows rows: all of them, and one that starts past 0.
inline std::vector<std::pair<std::int64_t, std::int64_t>> row_ranges(std::int64_t n_rows) {
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {{0, n_rows}};
  if (n_rows > 2) ranges.emplace_back(n_rows / 3, n_rows - 1);
  return ranges;
}

// Checks `w` on `kernels`: the implementation must be the native one (its kernel name has the ISA
// and is not the generic "decode + dot"); |y - y_double| <= rel * sum_c bound[r][c] * |x[c]| + 1e-30
// where `bound` is |W| plus whatever the kernel's arithmetic form rounds beyond that.
inline void check_layer(const compressed_weight& w, const kernel_set& kernels, const std::vector<float>& bound, double rel) {
  const std::int64_t rows = w.n_rows, cols = w.n_cols;
  auto lin = make_compressed_linear(w, kernels);
  REQUIRE(lin);
  const std::string name = (*lin)->kernel_name();
  INFO("kernel " << name);
  CHECK(name.find(kernels.isa) != std::string::npos);
  CHECK(name.find("decode + dot") == std::string::npos);
  std::vector<float> dense(static_cast<std::size_t>(rows * cols));
  densify(w, dense.data());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> scratch(static_cast<std::size_t>((*lin)->scratch_floats()));
  for (std::int64_t n_tokens : {1, 2, 3, 4, 5, 6, 7, 9}) {
    std::vector<float> x(static_cast<std::size_t>(n_tokens * cols));
    for (float& v : x) v = normal(rng);
    for (auto [r0, r1] : row_ranges(rows)) {
      INFO(n_tokens << " tokens, rows [" << r0 << ", " << r1 << ")");
      const std::int64_t ldy = rows + 3;
      std::vector<float> y(static_cast<std::size_t>(n_tokens * ldy), std::numeric_limits<float>::quiet_NaN());
      (*lin)->matvec(r0, r1, x.data(), n_tokens, y.data(), ldy, scratch.data());
      int bad = 0;
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t r = 0; r < rows; ++r) {
          const float got = y[static_cast<std::size_t>(t * ldy + r)];
          if (r < r0 || r >= r1) {
            bad += std::isnan(got) ? 0 : 1;  // rows outside the range are not written
            continue;
          }
          double want = 0.0, tolerance = 1e-30;
          for (std::int64_t c = 0; c < cols; ++c) {
            const std::size_t i = static_cast<std::size_t>(r * cols + c);
            const double xc = x[static_cast<std::size_t>(t * cols + c)];
            want += static_cast<double>(dense[i]) * xc;
            tolerance += rel * bound[i] * std::fabs(xc);
          }
          if (!(std::fabs(got - want) <= tolerance)) {
            if (++bad <= 3) FAIL_CHECK("token " << t << " row " << r << ": " << got << " vs " << want << " (tolerance " << tolerance << ")");
          }
        }
      }
      CHECK(bad == 0);
      std::vector<float> decoded(static_cast<std::size_t>((r1 - r0) * cols));
      (*lin)->decode_rows(r0, r1, decoded.data());
      CHECK(std::memcmp(decoded.data(), dense.data() + r0 * cols, decoded.size() * sizeof(float)) == 0);  // bit for bit
    }
  }
}

inline std::vector<float> absolute_values(const compressed_weight& w) {
  std::vector<float> dense(static_cast<std::size_t>(w.n_rows * w.n_cols));
  densify(w, dense.data());
  for (float& v : dense) v = std::fabs(v);
  return dense;
}

}  // namespace kick::cpu::testing
