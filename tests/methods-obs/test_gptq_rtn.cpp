// GPTQ and RTN on random layers with correlated, outlier-bearing calibration inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "gptq.h"
#include "obs_fixture.h"
#include "quant_grid.h"
#include "rtn.h"

using namespace kick::methods;

namespace {

constexpr std::int64_t k_out = 96, k_in = 256;

const obs_test::layer_case& shared_case() {
  static const obs_test::layer_case c = obs_test::make_case(k_out, k_in, 8, 64, 11);
  return c;
}

struct gptq_run {
  std::vector<float> weight;
  kick::group_quant_layout layout;
};

gptq_run run_gptq(const obs_test::layer_case& c, const gptq_params& p) {
  gptq_run run{c.weight, {}};
  auto out = gptq_compress(obs_test::as_matrix(run.weight, c.n_out, c.n_in), c.hessian.data(), p);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out.has_value());
  REQUIRE(std::holds_alternative<kick::group_quant_layout>(out->layout));
  run.layout = std::get<kick::group_quant_layout>(out->layout);
  return run;
}

std::vector<float> run_rtn(const obs_test::layer_case& c, std::int32_t bits, std::int64_t group_size) {
  std::vector<float> w = c.weight;
  auto out = rtn_compress(obs_test::as_matrix(w, c.n_out, c.n_in), rtn_params{bits, group_size, false});
  REQUIRE(out.has_value());
  CHECK(obs_test::densify(out->layout, c.n_out, c.n_in) == w);
  return w;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("gptq: every value lies on its group's grid and the layout reproduces the dense result", "[methods-obs][gptq]") {
  const auto& c = shared_case();
  for (std::int64_t gs : {std::int64_t{-1}, std::int64_t{32}, std::int64_t{128}})
    for (bool sym : {false, true})
      for (std::int32_t bits : {2, 3, 4, 8}) {
        gptq_params p;
        p.bits = bits;
        p.group_size = gs;
        p.sym = sym;
        const gptq_run run = run_gptq(c, p);
        const auto& l = run.layout;
        CHECK(l.bits == bits);
        CHECK(l.n_groups == (gs == -1 ? 1 : k_in / gs));
        CHECK(l.g_idx.empty());
        CHECK(obs_test::densify(l, k_out, k_in) == run.weight);  // bit-exact
        for (std::size_t g = 0; g < l.zeros.size(); ++g) {
          CHECK(l.zeros[g] == std::nearbyint(l.zeros[g]));
          if (sym) CHECK(l.zeros[g] == static_cast<float>(1 << (bits - 1)));
          CHECK(l.scales[g] > 0.0f);
        }
      }
}

TEST_CASE("gptq: the first group's grid comes from the original weights", "[methods-obs][gptq]") {
  const auto& c = shared_case();
  gptq_params p;
  p.bits = 4;
  p.group_size = 64;
  const gptq_run run = run_gptq(c, p);
  for (std::int64_t r = 0; r < k_out; ++r) {
    const quant_grid g = find_grid(c.weight.data() + r * k_in, 64, 1, 4, false);
    CHECK(run.layout.scales[r * 4] == g.scale);
    CHECK(run.layout.zeros[r * 4] == g.zero);
  }
}

TEST_CASE("gptq: a group starting inside a block takes its grid from the stale outer weights", "[methods-obs][gptq]") {
  // Group 1 (columns 64..127) starts inside block 0 (blocksize 128): the reference finds its grid
  // on the outer W, which has received no update yet, i.e. on the original weights. With
  // blocksize 64 the group starts a block and its grid sees the error feedback of columns 0..63.
  const auto& c = shared_case();
  gptq_params p;
  p.bits = 4;
  p.group_size = 64;
  const gptq_run stale = run_gptq(c, p);
  p.blocksize = 64;
  const gptq_run fresh = run_gptq(c, p);
  std::int64_t differ = 0;
  for (std::int64_t r = 0; r < k_out; ++r) {
    const quant_grid g = find_grid(c.weight.data() + r * k_in + 64, 64, 1, 4, false);
    CHECK(stale.layout.scales[r * 4 + 1] == g.scale);
    CHECK(stale.layout.zeros[r * 4 + 1] == g.zero);
    differ += fresh.layout.scales[r * 4 + 1] != g.scale ? 1 : 0;
  }
  CHECK(differ > k_out / 2);
  // Group size 128 == blocksize: every group starts a block, so blocksize changes only rounding.
  p.group_size = 128;
  p.blocksize = 128;
  const gptq_run a = run_gptq(c, p);
  p.blocksize = 32;
  const gptq_run b = run_gptq(c, p);
  CHECK(obs_test::output_error(c, a.weight) == Approx(obs_test::output_error(c, b.weight)).epsilon(1e-3));
}

TEST_CASE("gptq: act-order with dynamic groups records g_idx; static groups do not", "[methods-obs][gptq]") {
  const auto& c = shared_case();
  gptq_params p;
  p.bits = 4;
  p.group_size = 64;
  p.act_order = true;
  const gptq_run dyn = run_gptq(c, p);
  REQUIRE(dyn.layout.g_idx.size() == static_cast<std::size_t>(k_in));
  std::vector<int> per_group(4, 0);
  for (std::int32_t g : dyn.layout.g_idx) per_group[static_cast<std::size_t>(g)]++;
  CHECK(per_group == std::vector<int>{64, 64, 64, 64});
  // the largest diag(H) is quantized first, so belongs to group 0; the smallest to the last group
  std::int64_t top = 0, bottom = 0;
  for (std::int64_t i = 1; i < k_in; ++i) {
    if (c.hessian[i * k_in + i] > c.hessian[top * k_in + top]) top = i;
    if (c.hessian[i * k_in + i] < c.hessian[bottom * k_in + bottom]) bottom = i;
  }
  CHECK(dyn.layout.g_idx[top] == 0);
  CHECK(dyn.layout.g_idx[bottom] == 3);
  CHECK(obs_test::densify(dyn.layout, k_out, k_in) == dyn.weight);
  p.static_groups = true;
  const gptq_run st = run_gptq(c, p);
  CHECK(st.layout.g_idx.empty());
  CHECK(obs_test::densify(st.layout, k_out, k_in) == st.weight);
  for (std::int64_t r = 0; r < k_out; ++r)
    for (std::int64_t g = 0; g < 4; ++g) {
      const quant_grid want = find_grid(c.weight.data() + r * k_in + g * 64, 64, 1, 4, false);
      CHECK(st.layout.scales[r * 4 + g] == want.scale);
    }
}

TEST_CASE("gptq beats round-to-nearest on the layer's outputs at 3 and 4 bits", "[methods-obs][gptq]") {
  const auto& c = shared_case();
  for (std::int32_t bits : {3, 4})
    for (std::int64_t gs : {std::int64_t{-1}, std::int64_t{128}}) {
      gptq_params p;
      p.bits = bits;
      p.group_size = gs;
      const double gptq_err = obs_test::output_error(c, run_gptq(c, p).weight);
      const double rtn_err = obs_test::output_error(c, run_rtn(c, bits, gs));
      INFO("bits " << bits << " group " << gs << ": gptq " << gptq_err << " rtn " << rtn_err);
      CHECK(gptq_err < 0.8 * rtn_err);
      p.act_order = true;
      CHECK(obs_test::output_error(c, run_gptq(c, p).weight) < rtn_err);
    }
}

TEST_CASE("gptq and rtn are deterministic", "[methods-obs][gptq]") {
  const auto& c = shared_case();
  gptq_params p;
  p.bits = 3;
  p.group_size = 32;
  p.act_order = true;
  const gptq_run a = run_gptq(c, p);
  const gptq_run b = run_gptq(c, p);
  CHECK(bit_identical(a.weight, b.weight));
  CHECK(a.layout.packed == b.layout.packed);
  CHECK(bit_identical(run_rtn(c, 4, 64), run_rtn(c, 4, 64)));
}

TEST_CASE("gptq zeroes a dead input column", "[methods-obs][gptq]") {
  const auto c = obs_test::make_case(32, 128, 4, 64, 3, {5, 77});
  gptq_params p;
  p.bits = 4;
  p.act_order = true;
  const gptq_run run = run_gptq(c, p);
  for (std::int64_t r = 0; r < 32; ++r) {
    CHECK(run.weight[r * 128 + 5] == 0.0f);
    CHECK(run.weight[r * 128 + 77] == 0.0f);
    CHECK(c.weight[r * 128 + 5] != 0.0f);
  }
}

TEST_CASE("gptq refuses bad params, a group size that does not divide the layer, and non-finite data", "[methods-obs][gptq]") {
  kick::param_map m;
  m.set("bits", std::int64_t{4});
  m.set("group_size", std::int64_t{-1});
  m.set("sym", false);
  m.set("act_order", false);
  m.set("static_groups", false);
  m.set("blocksize", std::int64_t{128});
  m.set("percdamp", 0.01);
  REQUIRE(parse_gptq_params(m).has_value());
  for (std::int64_t bits : {1, 9, 12, 17}) {
    m.set("bits", bits);
    CHECK_THAT(parse_gptq_params(m).error().message(), Catch::Contains("bits"));
  }
  m.set("bits", std::int64_t{4});
  m.set("group_size", std::int64_t{-3});
  CHECK_THAT(parse_gptq_params(m).error().message(), Catch::Contains("group_size"));
  m.set("group_size", std::int64_t{96});
  auto p = parse_gptq_params(m);
  REQUIRE(p.has_value());
  auto c = obs_test::make_case(8, 256, 2, 64, 1);
  auto err = gptq_compress(obs_test::as_matrix(c.weight, 8, 256), c.hessian.data(), *p);
  REQUIRE_FALSE(err.has_value());
  CHECK_THAT(err.error().message(), Catch::Contains("group_size 96") && Catch::Contains("256"));
  p->group_size = -1;
  CHECK_FALSE(gptq_compress(obs_test::as_matrix(c.weight, 8, 256), nullptr, *p).has_value());
  p->percdamp = 0.0;
  auto few = obs_test::make_case(8, 256, 1, 16, 2);
  auto npd = gptq_compress(obs_test::as_matrix(few.weight, 8, 256), few.hessian.data(), *p);
  REQUIRE_FALSE(npd.has_value());
  CHECK(npd.error().code() == kick::status_code::failed_precondition);
  CHECK_THAT(npd.error().message(), Catch::Contains("percdamp"));
  p->percdamp = 0.01;
  c.weight[17] = std::nanf("");
  auto nan = gptq_compress(obs_test::as_matrix(c.weight, 8, 256), c.hessian.data(), *p);
  REQUIRE_FALSE(nan.has_value());
  CHECK_THAT(nan.error().message(), Catch::Contains("weight") && Catch::Contains("non-finite"));
  // bits 16: the layer is left untouched
  c.weight[17] = 0.5f;
  const std::vector<float> before = c.weight;
  p->bits = 16;
  auto dense = gptq_compress(obs_test::as_matrix(c.weight, 8, 256), c.hessian.data(), *p);
  REQUIRE(dense.has_value());
  CHECK(std::holds_alternative<kick::dense_layout>(dense->layout));
  CHECK(c.weight == before);
}

TEST_CASE("rtn: per-row grids on the full weight, groups as an option", "[methods-obs][rtn]") {
  const auto& c = shared_case();
  std::vector<float> w = c.weight;
  auto out = rtn_compress(obs_test::as_matrix(w, k_out, k_in), rtn_params{3, -1, false});
  REQUIRE(out.has_value());
  const auto& l = std::get<kick::group_quant_layout>(out->layout);
  CHECK(l.n_groups == 1);
  for (std::int64_t r = 0; r < k_out; ++r) {
    const quant_grid g = find_grid(c.weight.data() + r * k_in, k_in, 1, 3, false);
    CHECK(l.scales[r] == g.scale);
    for (std::int64_t i = 0; i < k_in; ++i) CHECK(w[r * k_in + i] == quantize_value(c.weight[r * k_in + i], g, 7.0f));
  }
  // smaller groups fit the weights better
  const auto err = [&](std::int64_t gs) {
    double e = 0.0;
    const std::vector<float> q = run_rtn(c, 3, gs);
    for (std::size_t i = 0; i < q.size(); ++i) e += (q[i] - c.weight[i]) * (q[i] - c.weight[i]);
    return e;
  };
  CHECK(err(32) < err(-1));
  kick::param_map m;
  m.set("bits", std::int64_t{1});
  m.set("group_size", std::int64_t{-1});
  m.set("sym", true);
  CHECK_THAT(parse_rtn_params(m).error().message(), Catch::Contains("bits 1"));
}
