// SparseGPT on random layers with correlated, outlier-bearing calibration inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "obs_fixture.h"
#include "quant_grid.h"
#include "sparsegpt.h"

using namespace kick::methods;

namespace {

constexpr std::int64_t k_out = 96, k_in = 256;

const obs_test::layer_case& shared_case() {
  static const obs_test::layer_case c = obs_test::make_case(k_out, k_in, 8, 64, 21);
  return c;
}

sparsegpt_params params(double sparsity, const char* pattern = "unstructured", std::int32_t bits = 16) {
  sparsegpt_params p;
  p.sparsity = sparsity;
  p.pattern = *parse_pattern(pattern);
  p.bits = bits;
  return p;
}

struct run_result {
  std::vector<float> weight;
  kick::weight_layout layout;
};

run_result run(const obs_test::layer_case& c, const sparsegpt_params& p) {
  run_result r{c.weight, {}};
  auto out = sparsegpt_compress(obs_test::as_matrix(r.weight, c.n_out, c.n_in), c.hessian.data(), p);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out.has_value());
  r.layout = out->layout;
  CHECK(obs_test::densify(r.layout, c.n_out, c.n_in) == r.weight);
  return r;
}

std::int64_t zeros_in(const std::vector<float>& w, std::int64_t n_in, std::int64_t r0, std::int64_t r1, std::int64_t c0,
                      std::int64_t c1) {
  std::int64_t z = 0;
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t c = c0; c < c1; ++c) z += w[r * n_in + c] == 0.0f ? 1 : 0;
  return z;
}

}  // namespace

TEST_CASE("sparsegpt unstructured: each 128-column block prunes int(numel*s)+1 weights", "[methods-obs][sparsegpt]") {
  const auto& c = shared_case();
  for (double s : {0.3, 0.5, 0.7}) {
    const run_result r = run(c, params(s));
    REQUIRE(std::holds_alternative<kick::bitmap_sparse_layout>(r.layout));
    const std::int64_t per_block = static_cast<std::int64_t>(static_cast<double>(k_out * 128) * s) + 1;
    CHECK(zeros_in(r.weight, k_in, 0, k_out, 0, 128) == per_block);
    CHECK(zeros_in(r.weight, k_in, 0, k_out, 128, 256) == per_block);
    // the comparison group is the block, not the row: row counts vary
    std::int64_t lo = k_in, hi = 0;
    for (std::int64_t row = 0; row < k_out; ++row) {
      const std::int64_t z = zeros_in(r.weight, k_in, row, row + 1, 0, k_in);
      lo = std::min(lo, z);
      hi = std::max(hi, z);
    }
    CHECK(lo < hi);
  }
  // blocksize 64 -> four blocks with their own thresholds
  sparsegpt_params p = params(0.5);
  p.blocksize = 64;
  const run_result r = run(c, p);
  for (std::int64_t b = 0; b < 4; ++b) CHECK(zeros_in(r.weight, k_in, 0, k_out, b * 64, b * 64 + 64) == k_out * 32 + 1);
}

TEST_CASE("sparsegpt N:M: exactly N non-zeros kept in every group of M", "[methods-obs][sparsegpt]") {
  const auto& c = shared_case();
  for (const char* pattern : {"1:2", "2:4", "4:8"}) {
    const auto pat = *parse_pattern(pattern);
    const run_result r = run(c, params(0.0, pattern));
    REQUIRE(std::holds_alternative<kick::nm_sparse_layout>(r.layout));
    CHECK(std::get<kick::nm_sparse_layout>(r.layout).n == pat.n_kept);
    for (std::int64_t row = 0; row < k_out; ++row)
      for (std::int64_t g = 0; g < k_in / pat.m; ++g)
        CHECK(zeros_in(r.weight, k_in, row, row + 1, g * pat.m, g * pat.m + pat.m) == pat.m - pat.n_kept);
  }
}

TEST_CASE("sparsegpt reconstructs the outputs better than magnitude pruning", "[methods-obs][sparsegpt]") {
  const auto& c = shared_case();
  const double sgpt = obs_test::output_error(c, run(c, params(0.5)).weight);
  const double mag = obs_test::output_error(c, obs_test::magnitude_prune(c.weight, 0.5));
  INFO("sparsegpt " << sgpt << " magnitude " << mag);
  CHECK(sgpt < 0.7 * mag);
  const double sgpt24 = obs_test::output_error(c, run(c, params(0.0, "2:4")).weight);
  CHECK(sgpt24 < mag * 1.5);
  CHECK(sgpt < sgpt24);
}

TEST_CASE("sparsegpt with bits < 16: pruned weights are exact zeros on a per-row grid of the original weights", "[methods-obs][sparsegpt]") {
  const auto& c = shared_case();
  const run_result r = run(c, params(0.5, "unstructured", 4));
  REQUIRE(std::holds_alternative<kick::group_quant_layout>(r.layout));
  const auto& l = std::get<kick::group_quant_layout>(r.layout);
  CHECK(l.n_groups == 1);
  CHECK(l.group_size == k_in);
  for (std::int64_t row = 0; row < k_out; ++row) {
    const quant_grid g = find_grid(c.weight.data() + row * k_in, k_in, 1, 4, false);
    CHECK(l.scales[row] == g.scale);
    CHECK(l.zeros[row] == g.zero);
  }
  // at least the mask's zeros (quantization may round more values to zero)
  CHECK(zeros_in(r.weight, k_in, 0, k_out, 0, 128) >= k_out * 64 + 1);
  const run_result nm = run(c, params(0.0, "2:4", 3));
  for (std::int64_t row = 0; row < k_out; ++row)
    for (std::int64_t g = 0; g < k_in / 4; ++g) CHECK(zeros_in(nm.weight, k_in, row, row + 1, g * 4, g * 4 + 4) >= 2);
}

TEST_CASE("sparsegpt is deterministic and zeroes dead inputs", "[methods-obs][sparsegpt]") {
  const auto& c = shared_case();
  const run_result a = run(c, params(0.6));
  const run_result b = run(c, params(0.6));
  CHECK(std::memcmp(a.weight.data(), b.weight.data(), a.weight.size() * sizeof(float)) == 0);
  const auto d = obs_test::make_case(32, 128, 4, 64, 9, {0, 100});
  const run_result r = run(d, params(0.0, "2:4"));
  for (std::int64_t row = 0; row < 32; ++row) {
    CHECK(r.weight[row * 128 + 0] == 0.0f);
    CHECK(r.weight[row * 128 + 100] == 0.0f);
  }
}

TEST_CASE("sparsegpt refuses bad params and a non-positive-definite hessian", "[methods-obs][sparsegpt]") {
  kick::param_map m;
  m.set("sparsity", 0.5);
  m.set("pattern", std::string("unstructured"));
  m.set("bits", std::int64_t{16});
  m.set("blocksize", std::int64_t{128});
  m.set("percdamp", 0.01);
  REQUIRE(parse_sparsegpt_params(m).has_value());
  m.set("sparsity", 1.0);
  CHECK_THAT(parse_sparsegpt_params(m).error().message(), Catch::Contains("sparsity"));
  m.set("sparsity", 0.5);
  m.set("pattern", std::string("4:2"));
  CHECK_THAT(parse_sparsegpt_params(m).error().message(), Catch::Contains("pattern"));
  m.set("pattern", std::string("2:4"));
  m.set("blocksize", std::int64_t{6});
  CHECK_THAT(parse_sparsegpt_params(m).error().message(), Catch::Contains("blocksize 6"));
  m.set("blocksize", std::int64_t{128});
  m.set("bits", std::int64_t{10});
  CHECK_THAT(parse_sparsegpt_params(m).error().message(), Catch::Contains("bits 10"));
  auto few = obs_test::make_case(8, 256, 1, 16, 4);
  sparsegpt_params p = params(0.5);
  p.percdamp = 0.0;
  auto npd = sparsegpt_compress(obs_test::as_matrix(few.weight, 8, 256), few.hessian.data(), p);
  REQUIRE_FALSE(npd.has_value());
  CHECK(npd.error().code() == kick::status_code::failed_precondition);
  CHECK_THAT(npd.error().message(), Catch::Contains("percdamp 0"));
  p.percdamp = 0.01;
  CHECK(sparsegpt_compress(obs_test::as_matrix(few.weight, 8, 256), few.hessian.data(), p).has_value());
  // unstructured sparsity 0 without bits: the reference drivers skip the layer
  const std::vector<float> before = few.weight;
  auto skipped = sparsegpt_compress(obs_test::as_matrix(few.weight, 8, 256), few.hessian.data(), params(0.0));
  REQUIRE(skipped.has_value());
  CHECK(std::holds_alternative<kick::dense_layout>(skipped->layout));
  CHECK(few.weight == before);
  auto odd = obs_test::make_case(4, 66, 1, 80, 4);
  auto bad = sparsegpt_compress(obs_test::as_matrix(odd.weight, 4, 66), odd.hessian.data(), params(0.0, "4:8"));
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("66"));
}
