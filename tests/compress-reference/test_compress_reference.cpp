// Every method plugin against the independent Python reference (tools/compress-ref): on the
// same weight and calibration inputs, masks and grid indices match (a tiny mismatch budget for
// decisions that sit on float32 near-ties) and values agree to about 1e-5 relative
// (compression_refs.md §8.1: no bit-exactness across BLAS/LAPACK and summation orders).
#include <catch2/catch.hpp>

#include <cstdio>

#include "reference_compare.h"
#include "support/test_support.h"

namespace {

using kick::test::comparison;
using kick::test::reference_config;

constexpr const char* k_layer_name = "layers.0.mlp.down_proj";  // cases.json layer_name
// ||kick - reference|| / ||reference|| over the entries whose discrete decisions agree.
constexpr double k_value_tolerance = 1e-5;
// After a permitted flip, error feedback (SparseGPT/GPTQ) legitimately moves later columns.
constexpr double k_value_tolerance_after_flips = 1e-2;

std::string describe(const reference_config& r, const comparison& c) {
  std::string line = r.case_name + "/" + r.config + " [" + c.format + "]:";
  if (c.mask_compared > 0) line += " mask mismatches " + std::to_string(c.mask_mismatches) + "/" + std::to_string(c.mask_compared);
  if (c.codes_compared > 0) {
    line += " code mismatches " + std::to_string(c.code_mismatches) + "/" + std::to_string(c.codes_compared);
    if (c.codes_excluded > 0) line += " (+" + std::to_string(c.codes_excluded) + " in fragile groups)";
  }
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, " relerr %.2e (agreeing entries %.2e)", c.relerr_all, c.relerr_agreeing);
  line += numbers;
  if (c.input_scale_relerr >= 0) {
    std::snprintf(numbers, sizeof numbers, " input_scale relerr %.2e", c.input_scale_relerr);
    line += numbers;
  }
  return line;
}

// Runs compress-layer for every configuration of `method` and compares; skips visibly when the
// plugin is not part of this build.
void check_method(const std::string& method) {
  const auto manifest = kick::test::plugin_dir() / ("method-" + method + ".toml");
  if (!std::filesystem::exists(manifest)) {
    kick::test::skip("method plugin '" + method + "' is not in this build (" + manifest.string() +
                     " is absent): its reference comparison did not run");
    return;
  }
  std::vector<reference_config> configs;
  for (auto& r : kick::test::load_reference_configs())
    if (r.method == method) configs.push_back(std::move(r));
  REQUIRE_FALSE(configs.empty());
  const auto dir = kick::test::scratch_dir("compress-reference-" + method);
  for (const reference_config& r : configs) {
    const auto out = dir / (r.case_name + "-" + r.config + ".safetensors");
    std::vector<std::string> args = {"compress-layer", "--method", r.method, "--weight", r.weight.string(),
                                     "--inputs", r.inputs.string(), "--out", out.string(), "--layer-name", k_layer_name};
    for (const auto& [key, value] : r.sets) {
      args.push_back("--set");
      args.push_back(key + "=" + value);
    }
    const auto run = kick::test::run_kickhost(args);
    INFO(r.case_name << "/" << r.config << ": " << run.err);
    CHECK(run.exit_code == 0);
    if (run.exit_code != 0) continue;
    const comparison c = kick::test::compare_with_reference(r.file, out, k_layer_name);
    INFO(c.problem);
    CHECK(c.problem.empty());
    if (!c.problem.empty()) continue;
    const std::string line = describe(r, c);
    std::printf("%s\n", line.c_str());
    INFO(line);
    const auto n = static_cast<double>(c.n_entries);
    CHECK(static_cast<double>(c.mask_mismatches) <= r.mask_budget * n);
    if (c.codes_compared > 0) CHECK(static_cast<double>(c.code_mismatches) <= r.code_budget * static_cast<double>(c.codes_compared));
    if (c.input_scale_relerr >= 0) CHECK(c.input_scale_relerr <= k_value_tolerance);
    const bool flips = c.mask_mismatches + c.code_mismatches > 0;
    CHECK(c.relerr_agreeing <= (flips ? k_value_tolerance_after_flips : k_value_tolerance));
  }
}

}  // namespace

TEST_CASE("magnitude matches the reference on single layers", "[reference][magnitude]") { check_method("magnitude"); }
TEST_CASE("wanda matches the reference on single layers", "[reference][wanda]") { check_method("wanda"); }
TEST_CASE("sparsegpt matches the reference on single layers", "[reference][sparsegpt]") { check_method("sparsegpt"); }
TEST_CASE("gptq matches the reference on single layers", "[reference][gptq]") { check_method("gptq"); }
TEST_CASE("rtn matches the reference on single layers", "[reference][rtn]") { check_method("rtn"); }
TEST_CASE("awq matches the reference on single layers", "[reference][awq]") { check_method("awq"); }
TEST_CASE("nf4 matches the reference on single layers", "[reference][nf4]") { check_method("nf4"); }
TEST_CASE("int8 matches the reference on single layers", "[reference][int8]") { check_method("int8"); }

TEST_CASE("every fixture configuration names a method the comparison covers", "[reference]") {
  const std::vector<std::string> covered = {"magnitude", "wanda", "sparsegpt", "gptq", "rtn", "awq", "nf4", "int8"};
  const auto configs = kick::test::load_reference_configs();
  REQUIRE(configs.size() >= 20);
  for (const auto& r : configs) {
    INFO(r.case_name << "/" << r.config);
    CHECK(std::find(covered.begin(), covered.end(), r.method) != covered.end());
    CHECK(std::filesystem::exists(r.file));
  }
}
