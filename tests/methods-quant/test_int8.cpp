// LLM.int8()-style weights (plugins/method-int8): outlier columns from the calibration max |x|,
// kept exactly; every other value on its row's int8 grid.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "int8.h"
#include "kick/format_codec.h"
#include "quant_fixture.h"

namespace {

kick::methods::int8_params params_of(double threshold) {
  kick::param_map m;
  m.set("threshold", threshold);
  auto p = kick::methods::parse_int8_params(m);
  REQUIRE(p.has_value());
  return *p;
}

struct int8_run {
  kick::int8_outlier_layout layout;
  std::vector<float> weight;
};

int8_run run_int8(const quant_test::layer_case& c, double threshold) {
  int8_run r;
  r.weight = c.weight;
  auto out = kick::methods::int8_compress(quant_test::as_matrix(r.weight, c.n_out, c.n_in), c.stats().input_abs_max, params_of(threshold));
  REQUIRE(out.has_value());
  r.layout = std::get<kick::int8_outlier_layout>(out->layout);
  return r;
}

}  // namespace

TEST_CASE("int8: outlier columns are exactly the inputs with calibration max |x| >= threshold, kept exactly", "[int8]") {
  const quant_test::layer_case c = quant_test::make_case(24, 150, 3, 40, 13);
  const int8_run r = run_int8(c, 6.0);
  std::vector<std::int32_t> expected;
  for (std::int64_t j = 0; j < c.n_in; ++j) {
    float m = 0.0f;
    for (std::int64_t t = 0; t < c.n_tokens; ++t) m = std::max(m, std::fabs(c.inputs[static_cast<std::size_t>(t * c.n_in + j)]));
    if (m >= 6.0f) expected.push_back(static_cast<std::int32_t>(j));
  }
  REQUIRE_FALSE(expected.empty());
  CHECK(expected.size() < static_cast<std::size_t>(c.n_in) / 4);
  CHECK(r.layout.outlier_cols == expected);
  for (std::int64_t i : c.salient) CHECK(std::find(expected.begin(), expected.end(), i) != expected.end());
  const std::size_t n_out = expected.size();
  for (std::int64_t row = 0; row < c.n_out; ++row)
    for (std::size_t k = 0; k < n_out; ++k) {
      const std::size_t at = static_cast<std::size_t>(row * c.n_in + expected[k]);
      CHECK(r.weight[at] == c.weight[at]);
      CHECK(r.layout.outlier_values[static_cast<std::size_t>(row) * n_out + k] == c.weight[at]);
      CHECK(r.layout.q[at] == 0);
    }
  CHECK(quant_test::densify(kick::weight_layout{r.layout}, c.n_out, c.n_in) == r.weight);
  // Keeping the outlier columns exact lowers the output error against no decomposition.
  const int8_run plain = run_int8(c, 0.0);
  CHECK(plain.layout.outlier_cols.empty());
  CHECK(quant_test::output_error(c, r.weight) < quant_test::output_error(c, plain.weight));
}

TEST_CASE("int8: every other value is the nearest point of its row's grid max|W_row| / 127 * k", "[int8]") {
  const quant_test::layer_case c = quant_test::make_case(16, 96, 2, 30, 17);
  const int8_run r = run_int8(c, 6.0);
  for (std::int64_t row = 0; row < c.n_out; ++row) {
    float scb = 0.0f;
    for (std::int64_t j = 0; j < c.n_in; ++j) scb = std::max(scb, std::fabs(c.weight[static_cast<std::size_t>(row * c.n_in + j)]));
    const float step = r.layout.row_scale[static_cast<std::size_t>(row)];
    CHECK(step == Approx(scb / 127.0f).epsilon(1e-7));
    std::int64_t argmax = 0;
    for (std::int64_t j = 1; j < c.n_in; ++j)
      if (std::fabs(c.weight[static_cast<std::size_t>(row * c.n_in + j)]) > std::fabs(c.weight[static_cast<std::size_t>(row * c.n_in + argmax)])) argmax = j;
    for (std::int64_t j = 0; j < c.n_in; ++j) {
      const std::size_t at = static_cast<std::size_t>(row * c.n_in + j);
      if (std::binary_search(r.layout.outlier_cols.begin(), r.layout.outlier_cols.end(), static_cast<std::int32_t>(j))) continue;
      const int q = r.layout.q[at];
      CHECK(std::abs(q) <= 127);
      CHECK(r.weight[at] == static_cast<float>(q) * step);
      CHECK(std::fabs(c.weight[at] - r.weight[at]) <= step * 0.5f * (1.0f + 1e-5f));
      if (j == argmax) CHECK(std::abs(q) == 127);  // unless the row maximum sits in an outlier column
    }
  }
}

TEST_CASE("int8: zero rows, threshold choices, bad parameters, determinism", "[int8]") {
  quant_test::layer_case c = quant_test::make_case(6, 40, 1, 20, 2);
  std::fill_n(c.weight.begin() + 40, 40, 0.0f);  // row 1 all zero
  const int8_run r = run_int8(c, 6.0);
  for (std::int64_t j = 0; j < 40; ++j) CHECK(r.weight[static_cast<std::size_t>(40 + j)] == 0.0f);
  CHECK(r.layout.row_scale[1] == 0.0f);
  CHECK(run_int8(c, 1e9).layout.outlier_cols.empty());
  const int8_run again = run_int8(c, 6.0);
  CHECK(again.weight == r.weight);
  CHECK(again.layout.q == r.layout.q);
  kick::param_map m;
  m.set("threshold", -1.0);
  auto p = kick::methods::parse_int8_params(m);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message().find("threshold") != std::string::npos);
  std::vector<float> w = c.weight;
  auto out = kick::methods::int8_compress(quant_test::as_matrix(w, 6, 40), nullptr, params_of(6.0));
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code() == kick::status_code::failed_precondition);
}
