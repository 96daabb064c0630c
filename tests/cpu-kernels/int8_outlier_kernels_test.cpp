// int8 + outlier layers' native kernels on every instruction set this machine runs, against a
// double product over densify: no outliers, outliers at the first and last columns, non-zero int8
// codes under outlier columns (the layout's meaning overrides them), widths off the 32-column step.
// Tolerance: |y - y_double| <= 1e-5 * sum_c (|W[r][c]| + |q[r][c] * row_scale[r]|) * |x[c]|
// (the row scale multiplies the int8 sum once; outlier columns subtract what it counted there).
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "core/bench/synthetic_weights.h"
#include "quant_kernel_check.h"

using namespace kick;
using namespace kick::cpu::testing;

namespace {

compressed_weight make_layer(std::int64_t rows, std::int64_t cols, std::vector<std::int32_t> outliers, bool codes_under_outliers,
                             std::uint32_t seed) {
  std::mt19937 rng(seed);
  int8_outlier_layout l;
  std::uniform_int_distribution<int> code(-127, 127);
  std::uniform_real_distribution<float> scale(0.0005f, 0.01f);
  std::normal_distribution<float> outlier(0.0f, 3.0f);
  for (std::int64_t i = 0; i < rows * cols; ++i) l.q.push_back(static_cast<std::int8_t>(code(rng)));
  for (std::int64_t r = 0; r < rows; ++r) l.row_scale.push_back(scale(rng));
  l.outlier_cols = std::move(outliers);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int32_t c : l.outlier_cols) {
      l.outlier_values.push_back(outlier(rng));
      if (!codes_under_outliers) l.q[static_cast<std::size_t>(r * cols + c)] = 0;
    }
  }
  return compressed_weight{rows, cols, std::move(l)};
}

std::vector<float> int8_bound(const compressed_weight& w) {
  std::vector<float> bound = absolute_values(w);
  const auto& l = std::get<int8_outlier_layout>(w.layout);
  for (std::size_t i = 0; i < bound.size(); ++i)
    bound[i] += std::fabs(static_cast<float>(l.q[i]) * l.row_scale[i / static_cast<std::size_t>(w.n_cols)]);
  return bound;
}

}  // namespace

TEST_CASE("cpu kernels: int8 + outlier layers match the double product", "[cpu-kernels][int8]") {
  struct shape {
    std::int64_t rows, cols;
    std::vector<std::int32_t> outliers;
    bool codes_under_outliers;
  };
  const std::vector<shape> shapes = {{1, 1, {}, false},          {1, 32, {0, 31}, false},   {7, 31, {3}, false},
                                     {19, 263, {0, 7, 262}, false}, {5, 33, {32}, true},     {11, 520, {7, 100, 519}, true},
                                     {3, 96, {}, false}};
  for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
    for (const shape& s : shapes) {
      INFO(kernels->isa << " int8 " << s.rows << "x" << s.cols << ", " << s.outliers.size() << " outliers"
                        << (s.codes_under_outliers ? ", codes under them" : ""));
      const compressed_weight w = make_layer(s.rows, s.cols, s.outliers, s.codes_under_outliers, static_cast<std::uint32_t>(s.rows + s.cols));
      REQUIRE(check_layout(w).ok());
      check_layer(w, *kernels, int8_bound(w), 1e-5);
    }
    auto bench = make_synthetic_weight("int8-outliers", 37, 1100, 5);
    REQUIRE(bench);
    check_layer(*bench->compressed, *kernels, int8_bound(*bench->compressed), 1e-5);
  }
}

// int8 activations (LLM.int8()'s own scheme): x quantized per 32 columns (a = max |x| / 127 of the
// step), integer dot products with the int8 codes, outlier columns in f32. Against the exact product:
// |y - W x| <= sum_c |q[r][c] * row_scale[r]| * a(c) / 2 (the activations' rounding, outlier columns
// included where codes sit under them) + 1e-5 * sum_c (|W[r][c]| + |q[r][c] * row_scale[r]|) * |x[c]|.
TEST_CASE("cpu kernels: int8 + outlier layers with int8 activations stay within the activations' rounding", "[cpu-kernels][int8][q8]") {
  struct shape {
    std::int64_t rows, cols;
    std::vector<std::int32_t> outliers;
    bool codes_under_outliers;
  };
  const std::vector<shape> shapes = {{1, 32, {0, 31}, false}, {5, 64, {}, false}, {11, 512, {7, 100, 511}, true}, {7, 1056, {5}, false}};
  kick::cpu::linear_options options;
  options.activations = kick::cpu::activation_type::int8;
  for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
    for (const shape& s : shapes) {
      INFO(kernels->isa << " int8 " << s.rows << "x" << s.cols << ", " << s.outliers.size() << " outliers");
      const compressed_weight w = make_layer(s.rows, s.cols, s.outliers, s.codes_under_outliers, static_cast<std::uint32_t>(3 * s.rows + s.cols));
      const auto& l = std::get<int8_outlier_layout>(w.layout);
      auto lin = kick::cpu::make_compressed_linear(w, *kernels, options);
      REQUIRE(lin);
      const std::string name = (*lin)->kernel_name();
      INFO("kernel " << name);
      CHECK(name.find("int8-activations " + expected_q8_kernel(*kernels)) != std::string::npos);
      std::vector<float> dense(static_cast<std::size_t>(s.rows * s.cols));
      densify(w, dense.data());
      std::mt19937 rng(11);
      std::normal_distribution<float> normal;
      for (std::int64_t n_tokens : {1, 3, 7, 9}) {
        std::vector<float> x(static_cast<std::size_t>(n_tokens * s.cols));
        for (float& v : x) v = normal(rng);
        const std::int64_t ldy = s.rows + 1;
        std::vector<float> y(static_cast<std::size_t>(n_tokens * ldy), std::numeric_limits<float>::quiet_NaN());
        std::vector<float> scratch(static_cast<std::size_t>((*lin)->scratch_floats()));
        const std::int64_t r0 = s.rows > 2 ? 1 : 0;
        (*lin)->matvec(r0, s.rows, x.data(), n_tokens, y.data(), ldy, scratch.data());
        int bad = 0;
        for (std::int64_t t = 0; t < n_tokens; ++t) {
          const float* xt = x.data() + t * s.cols;
          for (std::int64_t r = r0; r < s.rows; ++r) {
            double exact = 0.0, bound = 1e-30;
            for (std::int64_t c = 0; c < s.cols; ++c) {
              float amax = 0.0f;
              for (std::int64_t i = c / 32 * 32; i < c / 32 * 32 + 32; ++i) amax = std::max(amax, std::fabs(xt[i]));
              const double wc = dense[static_cast<std::size_t>(r * s.cols + c)];
              const double qs = std::fabs(static_cast<double>(l.q[static_cast<std::size_t>(r * s.cols + c)]) * l.row_scale[static_cast<std::size_t>(r)]);
              exact += wc * xt[c];
              bound += qs * (amax / 127.0) / 2.0 + 1e-5 * (std::fabs(wc) + qs) * std::fabs(xt[c]);
            }
            const double got = y[static_cast<std::size_t>(t * ldy + r)];
            if (!(std::fabs(got - exact) <= bound) && bad++ < 3) FAIL_CHECK("token " << t << " row " << r << ": " << got << " vs " << exact << " (bound " << bound << ")");
          }
        }
        CHECK(bad == 0);
      }
    }
  }
}
