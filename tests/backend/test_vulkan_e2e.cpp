// A run-manifest on the vulkan backend gives the cpu backend's task results: the kickworld test
// model, dense and compressed (2:4 magnitude, int4 RTN g64, executed natively by the vulkan
// backend, densified by the cpu one), on closed-book QA, multiple choice, open-book retrieval
// and perplexity. Greedy outputs and accuracies must be identical; log-likelihoods and
// perplexities agree within 1e-3 relative. Also: a manifest's fallback backend takes over when
// no Vulkan driver exists.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/backend_fixture.h"
#include "support/test_support.h"

using namespace kick::test;

namespace {

std::string manifest_text(const std::string& backend) {
  const std::string data = (source_dir() / "data/kickworld").string();
  return "description = \"cpu/vulkan equality\"\nseed = 0\n[model]\npath = \"" + data + "/model\"\n[backend]\nname = \"" + backend +
         "\"\n"
         "[[compress]]\nmethod = \"none\"\n"
         "[[compress]]\nmethod = \"magnitude\"\nlabel = \"mag-2of4\"\nsparsity = 0.5\npattern = \"2:4\"\n"
         "[[compress]]\nmethod = \"rtn\"\nlabel = \"rtn-int4\"\nbits = 4\ngroup_size = 64\n"
         "[[task]]\nname = \"perplexity\"\ndataset = \"" + data + "/eval/perplexity/kickworld-heldout.txt\"\nseqlen = 128\nlimit = 3\n"
         "[[task]]\nname = \"factoid-qa\"\ndataset = \"" + data + "/eval/factoid/kickworld-freebaseqa.json\"\nlimit = 12\n"
         "[[task]]\nname = \"multiple-choice\"\ndataset = \"" + data + "/eval/mmlu\"\nlimit = 3\n"
         "[[task]]\nname = \"retrieval-qa\"\nalias = \"retrieval-open\"\ndataset = \"" + data +
         "/eval/retrieval/kickworld-triviaqa.jsonl\"\nbook = \"open\"\nlimit = 8\n";
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-3 * std::max(1.0, std::fabs(b)); }

// Every number in `got` within 1e-3 relative of `want`, every other value identical.
void check_same(const nlohmann::json& got, const nlohmann::json& want, const std::string& where) {
  INFO(where);
  if (want.is_number_float() || (want.is_number() && got.is_number_float())) {
    CHECK(close(got.get<double>(), want.get<double>()));
  } else if (want.is_object()) {
    REQUIRE(got.is_object());
    for (auto it = want.begin(); it != want.end(); ++it) {
      REQUIRE(got.contains(it.key()));
      check_same(got[it.key()], it.value(), where + "." + it.key());
    }
  } else if (want.is_array()) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) check_same(got[i], want[i], where + "[" + std::to_string(i) + "]");
  } else {
    CHECK(got == want);
  }
}

}  // namespace

TEST_CASE("vulkan backend: a run-manifest gives the cpu backend's task results", "[backend][vulkan][e2e]") {
  test_host host;
  if (auto b = open_vulkan_backend(host); !b) {
    skip("no usable vulkan backend: " + b.error().message());
    return;
  }
  const auto dir = scratch_dir("vulkan-e2e");
  for (const char* backend : {"cpu", "vulkan"}) {
    write_file(dir / (std::string(backend) + ".toml"), manifest_text(backend));
    const auto r = run_kickhost({"run", (dir / (std::string(backend) + ".toml")).string(), "--out", (dir / backend).string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (const char* variant : {"dense", "mag-2of4", "rtn-int4"}) {
    const auto cpu = dir / "cpu" / variant;
    const auto vk = dir / "vulkan" / variant;
    const auto want = nlohmann::json::parse(read_file(cpu / "results.json"));
    const auto got = nlohmann::json::parse(read_file(vk / "results.json"));
    CHECK(got["config"]["backend"] == "vulkan");
    check_same(got["results"], want["results"], std::string(variant) + " results");
    for (const char* task : {"perplexity", "factoid-qa", "multiple-choice", "retrieval-open"}) {
      const std::string file = std::string("samples_") + task + ".jsonl";
      const auto want_rows = read_jsonl(cpu / file);
      const auto got_rows = read_jsonl(vk / file);
      REQUIRE(!want_rows.empty());
      REQUIRE(got_rows.size() == want_rows.size());
      for (std::size_t i = 0; i < want_rows.size(); ++i) check_same(got_rows[i], want_rows[i], std::string(variant) + " " + file + " row " + std::to_string(i));
    }
  }
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
  ::setenv("VK_DRIVER_FILES", "/nonexistent/kick-no-driver.json", 1);
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--out", (dir / "out").string()});
  ::unsetenv("VK_DRIVER_FILES");
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
  ::setenv("VK_DRIVER_FILES", "/nonexistent/kick-no-driver.json", 1);
  const auto failed = run_kickhost({"run", (dir / "nofallback.toml").string(), "--out", (dir / "out2").string()});
  ::unsetenv("VK_DRIVER_FILES");
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("no usable Vulkan driver"));
}
