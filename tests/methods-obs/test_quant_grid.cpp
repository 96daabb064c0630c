// The GPTQ quantizer grid (quant.py find_params/quantize) and the Hessian preparation.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "hessian_prep.h"
#include "method_params.h"
#include "obs_fixture.h"
#include "quant_grid.h"

using namespace kick::methods;

TEST_CASE("the grid's range always includes zero and zero quantizes exactly", "[methods-obs][grid]") {
  const std::vector<float> positive = {0.5f, 1.0f, 3.0f, 2.0f};
  const quant_grid a = find_grid(positive.data(), 4, 1, 4, false);
  CHECK(a.zero == 0.0f);                 // xmin forced down to 0
  CHECK(a.scale == 3.0f / 15.0f);
  const std::vector<float> negative = {-0.5f, -1.5f, -3.0f};
  const quant_grid b = find_grid(negative.data(), 3, 1, 3, false);
  CHECK(b.zero == 7.0f);                 // xmax forced up to 0: the top code is 0
  CHECK(b.scale == 3.0f / 7.0f);
  for (int bits = 2; bits <= 8; ++bits) {
    const std::vector<float> mixed = {-0.37f, 0.11f, 0.93f, -0.02f};
    for (bool sym : {false, true}) {
      const quant_grid g = find_grid(mixed.data(), 4, 1, bits, sym);
      CHECK(g.zero == std::nearbyint(g.zero));
      CHECK(quantize_value(0.0f, g, quant_maxq(bits)) == 0.0f);
    }
  }
}

TEST_CASE("symmetric grids centre the zero at 2^(bits-1) and widen only a negative minimum", "[methods-obs][grid]") {
  const std::vector<float> mixed = {-0.5f, 2.0f};
  const quant_grid g = find_grid(mixed.data(), 2, 1, 4, true);
  CHECK(g.zero == 8.0f);
  CHECK(g.scale == 4.0f / 15.0f);  // [-2, 2]
  const std::vector<float> positive = {0.5f, 2.0f};
  const quant_grid p = find_grid(positive.data(), 2, 1, 4, true);
  CHECK(p.zero == 8.0f);
  CHECK(p.scale == 2.0f / 15.0f);  // [0, 2]: xmin stays 0, so values above 7*scale clamp
  CHECK(quantize_value(2.0f, p, 15.0f) == p.scale * 7.0f);
  const std::vector<float> zeros = {0.0f, 0.0f, 0.0f};
  const quant_grid z = find_grid(zeros.data(), 3, 1, 2, false);
  CHECK(z.scale == 2.0f / 3.0f);  // [-1, 1]
  CHECK(z.zero == std::nearbyint(1.0f / (2.0f / 3.0f)));
}

TEST_CASE("quantize rounds half to even and clamps to [0, maxq]", "[methods-obs][grid]") {
  const quant_grid g{1.0f, 0.0f};
  CHECK(quant_code_f(2.5f, g, 15.0f) == 2.0f);
  CHECK(quant_code_f(3.5f, g, 15.0f) == 4.0f);
  CHECK(quant_code_f(-0.5f, g, 15.0f) == 0.0f);
  CHECK(quant_code_f(99.0f, g, 15.0f) == 15.0f);
  // the asymmetric zero itself is rounded half to even: -xmin/scale = 2.5 exactly
  const std::vector<float> row = {-2.5f, 12.5f};  // scale = 15/15 = 1
  CHECK(find_grid(row.data(), 2, 1, 4, false).zero == 2.0f);
  // a strided column
  const std::vector<float> m = {1.0f, -9.0f, 3.0f, -9.0f};
  CHECK(find_grid(m.data(), 2, 2, 2, false).scale == 1.0f);
}

TEST_CASE("hessian preparation: dead inputs, damping and the upper factor of the inverse", "[methods-obs][hessian]") {
  // A 3x3 SPD matrix with one dead input (index 1).
  std::vector<float> h = {4.0f, 0.0f, 2.0f, 0.0f, 0.0f, 0.0f, 2.0f, 0.0f, 3.0f};
  std::vector<float> w = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  const kick::matrix_f32 m{w.data(), 2, 3, 3};
  CHECK(zero_dead_inputs(h.data(), 3, m) == 1);
  CHECK(h[4] == 1.0f);
  CHECK(w[1] == 0.0f);
  CHECK(w[4] == 0.0f);
  CHECK(w[0] == 1.0f);
  std::vector<float> damped = h;
  const float damp = damping_term(h.data(), 3, 0.1);
  CHECK(damp == Approx(0.1 * 8.0 / 3.0));
  for (int i = 0; i < 3; ++i) damped[i * 3 + i] += damp;
  REQUIRE(damp_and_invert_upper(h.data(), 3, 0.1).ok());
  // U is upper triangular with U^T U = (H + damp I)^-1, i.e. (H + damp I) U^T U = I.
  CHECK(h[3] == 0.0f);
  CHECK(h[6] == 0.0f);
  CHECK(h[7] == 0.0f);
  for (int i = 0; i < 3; ++i) CHECK(h[i * 3 + i] > 0.0f);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double prod = 0.0;
      for (int k = 0; k < 3; ++k) {
        double inv_kj = 0.0;
        for (int l = 0; l < 3; ++l) inv_kj += static_cast<double>(h[l * 3 + k]) * h[l * 3 + j];
        prod += damped[i * 3 + k] * inv_kj;
      }
      CHECK(prod == Approx(i == j ? 1.0 : 0.0).margin(1e-5));
    }
}

TEST_CASE("a rank-deficient hessian without damping is refused naming percdamp", "[methods-obs][hessian]") {
  // 16 tokens for 256 inputs: rank <= 16.
  const auto c = obs_test::make_case(8, 256, 2, 8, 5);
  std::vector<float> h = c.hessian;
  const kick::status s = damp_and_invert_upper(h.data(), 256, 0.0);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == kick::status_code::failed_precondition);
  CHECK_THAT(s.message(), Catch::Contains("percdamp 0") && Catch::Contains("not positive definite"));
  std::vector<float> h2 = c.hessian;
  CHECK(damp_and_invert_upper(h2.data(), 256, 0.01).ok());
}

TEST_CASE("common parameters are range-checked with the parameter named", "[methods-obs][params]") {
  CHECK(parse_pattern("unstructured").has_value());
  auto p = parse_pattern("2:4");
  REQUIRE(p.has_value());
  CHECK(p->n_kept == 2);
  CHECK(p->m == 4);
  for (const char* bad : {"4:2", "2:2", "0:4", "2:", "x:4", "2:4:8", "dense", "2:400"}) {
    auto r = parse_pattern(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error().message(), Catch::Contains("pattern"));
  }
  kick::param_map m;
  m.set("sparsity", 1.0);
  m.set("bits", std::int64_t{9});
  m.set("group_size", std::int64_t{0});
  m.set("blocksize", std::int64_t{0});
  m.set("percdamp", -0.5);
  CHECK_THAT(sparsity_param(m).error().message(), Catch::Contains("sparsity") && Catch::Contains("[0, 1)"));
  CHECK_THAT(bits_param(m, true).error().message(), Catch::Contains("bits 9"));
  CHECK_THAT(group_size_param(m).error().message(), Catch::Contains("group_size 0"));
  CHECK_THAT(blocksize_param(m).error().message(), Catch::Contains("blocksize 0"));
  CHECK_THAT(percdamp_param(m).error().message(), Catch::Contains("percdamp"));
  m.set("bits", std::int64_t{16});
  CHECK(bits_param(m, true).has_value());
  CHECK_FALSE(bits_param(m, false).has_value());
  m.set("sparsity", -0.1);
  CHECK_FALSE(sparsity_param(m).has_value());
  CHECK_THAT(check_group_divides(96, 256).message(), Catch::Contains("group_size 96") && Catch::Contains("256"));
  CHECK(check_group_divides(64, 256).ok());
  CHECK(check_group_divides(-1, 100).ok());
}
