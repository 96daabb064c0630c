// The cpu backend's instruction-set kernels give the portable kernels' task results on a
// run-manifest: kickworld dense, 2:4 and int4 (compressed layers on their native kernels), every
// kernel set this CPU supports against `generic`. Greedy outputs and accuracies identical;
// log-likelihoods and perplexities within 1e-4 relative (summation order differs).
#include <catch2/catch.hpp>

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
