// Shared checks of the sparse-layer kernels (N:M and bitmap): one layer on one instruction set and
// value type against a double-precision product over its weights, for 1..7 and 9 tokens, an
// activation stride wider than the rows, and row ranges that do not start at 0; decode_rows
// against the weights bit for bit.
//
// The weights are kick::densify's (f32 values) or densify's rounded to f16 and back (f16 values:
// the kernels multiply exactly those). Tolerance: |y - y_double| <= 1e-5 * sum_c |W[r][c] x[c]|
// + 1e-6 (f32 accumulation in a different order than the reference).
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "compressed_linear.h"
#include "kernel_sets.h"
#include "kick/convert.h"
#include "kick/format_codec.h"
#include "linear_sparse.h"

namespace kick::cpu::sparse_testing {

using testing::testable_kernel_sets;

// One way of holding a sparse layer's values: the layout's value type and the backend option.
struct values_case {
  value_type stored;
  sparse_value_type option;
  // The values the kernels read: f16 or f32 (bf16 is widened), and whether in place.
  bool f16() const { return option == sparse_value_type::f16 || (option == sparse_value_type::stored && stored == value_type::f16); }
  bool in_place() const { return stored == (f16() ? value_type::f16 : value_type::f32); }
  std::string name() const { return std::string(f16() ? "f16" : "f32") + " values" + (in_place() ? " in place" : " converted"); }
};

// Every layout value type with every option.
inline std::vector<values_case> all_values_cases() {
  std::vector<values_case> out;
  for (value_type stored : {value_type::f32, value_type::f16, value_type::bf16})
    for (sparse_value_type option : {sparse_value_type::stored, sparse_value_type::f32, sparse_value_type::f16}) out.push_back({stored, option});
  return out;
}

// `w` with its sparse values converted to `type`.
inline compressed_weight with_values(compressed_weight w, value_type type) {
  convert_sparse_values(w.layout, type);
  return w;
}

// The weights the kernels multiply.
inline std::vector<float> expected_weights(const compressed_weight& w, bool f16) {
  std::vector<float> dense(static_cast<std::size_t>(w.n_rows * w.n_cols));
  densify(w, dense.data());
  if (f16) {
    for (float& v : dense) v = f16_to_f32(f32_to_f16(v));
  }
  return dense;
}

inline bool same_bits(const float* a, const float* b, std::int64_t n) {
  return std::memcmp(a, b, static_cast<std::size_t>(n) * sizeof(float)) == 0;
}

// Checks `lin` (built on `kernels` for `w`), whose kernel name must contain `name_part`.
inline void check_sparse_layer(const compressed_linear& lin, const compressed_weight& w, bool f16, const std::string& name_part) {
  const std::int64_t rows = w.n_rows, cols = w.n_cols;
  INFO("kernel " << lin.kernel_name());
  CHECK(lin.kernel_name().find(name_part) != std::string::npos);
  const std::vector<float> dense = expected_weights(w, f16);

  std::vector<float> decoded(static_cast<std::size_t>(rows * cols), std::numeric_limits<float>::quiet_NaN());
  lin.decode_rows(0, rows, decoded.data());
  CHECK(same_bits(decoded.data(), dense.data(), rows * cols));
  if (rows > 2) {
    const std::int64_t r0 = rows / 3, r1 = rows - 1;
    std::vector<float> part(static_cast<std::size_t>((r1 - r0) * cols));
    lin.decode_rows(r0, r1, part.data());
    CHECK(same_bits(part.data(), dense.data() + r0 * cols, (r1 - r0) * cols));
  }

  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<float> scratch(static_cast<std::size_t>(lin.scratch_floats()));
  const std::int64_t ldy = rows + 3;
  for (std::int64_t n_tokens : {1, 2, 3, 4, 5, 6, 7, 9}) {
    std::vector<float> x(static_cast<std::size_t>(n_tokens * cols));
    for (float& v : x) v = normal(rng);
    std::vector<double> want(static_cast<std::size_t>(n_tokens * rows)), magnitude(want.size());
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      for (std::int64_t r = 0; r < rows; ++r) {
        double sum = 0.0, size = 0.0;
        for (std::int64_t c = 0; c < cols; ++c) {
          const double p = static_cast<double>(dense[static_cast<std::size_t>(r * cols + c)]) * x[static_cast<std::size_t>(t * cols + c)];
          sum += p;
          size += std::fabs(p);
        }
        want[static_cast<std::size_t>(t * rows + r)] = sum;
        magnitude[static_cast<std::size_t>(t * rows + r)] = size;
      }
    }
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {{0, rows}};
    if (rows > 2) ranges.emplace_back(rows / 3, rows - 1);
    for (auto [r0, r1] : ranges) {
      INFO(n_tokens << " tokens, rows [" << r0 << ", " << r1 << ")");
      std::vector<float> y(static_cast<std::size_t>(n_tokens * ldy), std::numeric_limits<float>::quiet_NaN());
      lin.matvec(r0, r1, x.data(), n_tokens, y.data(), ldy, scratch.data());
      int wrong = 0, written_outside = 0;
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t r = 0; r < ldy; ++r) {
          const float got = y[static_cast<std::size_t>(t * ldy + r)];
          if (r < r0 || r >= r1) {
            written_outside += std::isnan(got) ? 0 : 1;
            continue;
          }
          const std::size_t i = static_cast<std::size_t>(t * rows + r);
          if (!(std::fabs(got - want[i]) <= 1e-5 * magnitude[i] + 1e-6)) {
            if (wrong++ == 0) FAIL_CHECK("row " << r << " token " << t << ": " << got << " != " << want[i]);
          }
        }
      }
      CHECK(wrong == 0);
      CHECK(written_outside == 0);
    }
  }
}

}  // namespace kick::cpu::sparse_testing
