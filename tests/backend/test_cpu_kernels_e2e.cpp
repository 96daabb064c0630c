// The cpu backend's instruction-set kernels give the portable kernels' task results on a
// run-manifest: kickworld dense, 2:4 and int4 (compressed layers on their native kernels), every
// kernel set this CPU supports against `generic`. Greedy outputs and accuracies identical;
// log-likelihoods and perplexities within 1e-4 relative (summation order differs).
#include <catch2/catch.hpp>

#include <cmath>

#include "backend/backend_fixture.h"
#include "backend/run_compare.h"
#include "support/test_support.h"

using namespace kick::test;

TEST_CASE("cpu backend: every kernel set gives the generic kernels' task results on a run-manifest", "[backend][cpu][e2e]") {
  test_host host;
  const std::vector<std::string> sets = usable_kernel_sets(host);
  const auto dir = scratch_dir("cpu-kernels-e2e");
  for (const std::string& set : sets) {
    write_file(dir / (set + ".toml"), kickworld_manifest("name = \"cpu\"\nkernels = \"" + set + "\""));
    const auto r = run_kickhost({"run", (dir / (set + ".toml")).string(), "--out", (dir / set).string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (const std::string& set : sets) {
    if (set == "generic") continue;
    INFO("kernels " << set);
    check_same_runs(dir / set, dir / "generic", 1e-4);
  }
}

// activations = "int8" reaches only the decode of group-quantized layers: dense and 2:4 runs are
// unchanged, perplexity (scored by prefill, f32) is unchanged, and the int4 model's accuracies stay
// within one or two answers of the f32 run (observed here: identical).
TEST_CASE("cpu backend: int8 activations keep the int4 model's task results", "[backend][cpu][e2e]") {
  const auto dir = scratch_dir("cpu-int8-activations");
  for (const char* activations : {"f32", "int8"}) {
    const std::string name = activations;
    write_file(dir / (name + ".toml"), kickworld_manifest("name = \"cpu\"\nactivations = \"" + name + "\""));
    const auto r = run_kickhost({"run", (dir / (name + ".toml")).string(), "--out", (dir / name).string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (const std::string& variant : kickworld_variants()) {
    INFO(variant);
    const auto want = nlohmann::json::parse(read_file(dir / "f32" / variant / "results.json"))["results"];
    const auto got = nlohmann::json::parse(read_file(dir / "int8" / variant / "results.json"))["results"];
    if (variant != "rtn-int4") {
      check_same_json(got, want, variant, 0.0);
      continue;
    }
    check_same_json(got["perplexity"], want["perplexity"], "perplexity", 0.0);
    for (const char* task : {"factoid-qa", "retrieval-open"}) {
      INFO(task);
      CHECK(std::fabs(got[task]["exact_match,none"].get<double>() - want[task]["exact_match,none"].get<double>()) <= 0.25);
    }
    CHECK(std::fabs(got["multiple-choice"]["acc,none"].get<double>() - want["multiple-choice"]["acc,none"].get<double>()) <= 0.34);
  }
}
