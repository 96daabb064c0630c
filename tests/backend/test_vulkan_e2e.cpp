// A run-manifest on the vulkan backend gives the cpu backend's task results: the kickworld test
// model, dense and compressed (2:4 magnitude, int4 RTN g64, executed natively by the vulkan
// backend, densified by the cpu one), on closed-book QA, multiple choice, open-book retrieval
// and perplexity. Greedy outputs and accuracies must be identical; log-likelihoods and
// perplexities agree within 1e-3 relative. Also: a manifest's fallback backend takes over when
// no Vulkan driver exists.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "backend/backend_fixture.h"
#include "backend/run_compare.h"
#include "support/test_support.h"

using namespace kick::test;


TEST_CASE("vulkan backend: a run-manifest gives the cpu backend's task results", "[backend][vulkan][e2e]") {
  test_host host;
  if (auto b = open_vulkan_backend(host); !b) {
    skip("no usable vulkan backend: " + b.error().message());
    return;
  }
  const auto dir = scratch_dir("vulkan-e2e");
  for (const char* backend : {"cpu", "vulkan"}) {
    write_file(dir / (std::string(backend) + ".toml"), kickworld_manifest(std::string("name = \"") + backend + "\""));
    const auto r = run_kickhost({"run", (dir / (std::string(backend) + ".toml")).string(), "--out", (dir / backend).string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (const std::string& variant : kickworld_variants()) {
    const auto got = nlohmann::json::parse(read_file(dir / "vulkan" / variant / "results.json"));
    CHECK(got["config"]["backend"] == "vulkan");
  }
  check_same_runs(dir / "vulkan", dir / "cpu", 1e-3);
}

TEST_CASE("vulkan backend: without a Vulkan driver a manifest's fallback backend runs it", "[backend][vulkan][e2e]") {
  const auto dir = scratch_dir("vulkan-fallback");
  const std::string data = (source_dir() / "data/kickworld").string();
  write_file(dir / "run.toml", "[model]\npath = \"" + data + "/model\"\n[backend]\nname = \"vulkan\"\nfallback = \"cpu\"\n"
                               "[[task]]\nname = \"perplexity\"\ndataset = \"" + data + "/eval/perplexity/kickworld-heldout.txt\"\nseqlen = 64\nlimit = 1\n");
  if (!std::filesystem::exists(plugin_dir() / "libkick-backend-vulkan.so")) {
    skip("the vulkan backend plugin is not built");
    return;
  }
  const auto r = [&] {
    const scoped_env no_driver("VK_DRIVER_FILES", "/nonexistent/kick-no-driver.json");
    return run_kickhost({"run", (dir / "run.toml").string(), "--out", (dir / "out").string()});
  }();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("falling back to backend cpu"));
  const auto doc = nlohmann::json::parse(read_file(dir / "out" / "results.json"));
  CHECK(doc["config"]["backend"] == "cpu");
  CHECK(doc["config"]["backend_requested"] == "vulkan");
  CHECK_THAT(doc["config"]["backend_fallback_reason"].get<std::string>(), Catch::Contains("Vulkan"));

  // Without a fallback the same run fails, naming the missing driver.
  write_file(dir / "nofallback.toml", "[model]\npath = \"" + data + "/model\"\n[backend]\nname = \"vulkan\"\n"
                                      "[[task]]\nname = \"perplexity\"\ndataset = \"" + data + "/eval/perplexity/kickworld-heldout.txt\"\nseqlen = 64\nlimit = 1\n");
  const auto failed = [&] {
    const scoped_env no_driver("VK_DRIVER_FILES", "/nonexistent/kick-no-driver.json");
    return run_kickhost({"run", (dir / "nofallback.toml").string(), "--out", (dir / "out2").string()});
  }();
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("no usable Vulkan driver"));
}
