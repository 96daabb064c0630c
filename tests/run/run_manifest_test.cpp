// Run-manifests: structure, paths, overrides, and errors that name the file and key.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "core/run/run_manifest.h"
#include "support/test_support.h"

namespace {

using kick::test::scratch_dir;
using kick::test::write_file;

const char* k_manifest = R"(
seed = 7
[model]
path = "models/m.bin"
[backend]
name = "cpu"
threads = 2
[[task]]
name = "perplexity"
dataset = "data/text.txt"
seqlen = 64
[[task]]
name = "perplexity"
alias = "ppl-again"
dataset = "/abs/text.txt"
limit = 3
)";

kick::result<kick::run_manifest> load(const std::string& text, std::vector<std::string> overrides = {}) {
  // One folder per process: ctest runs the test cases of this file in parallel.
  const auto dir = scratch_dir("run-manifest-" + std::to_string(::getpid()));
  write_file(dir / "run.toml", text);
  auto m = kick::load_run_manifest(dir / "run.toml", overrides);
  if (!m) UNSCOPED_INFO("load_run_manifest: " << m.error().message());
  return m;
}

std::string error_of(const std::string& text, std::vector<std::string> overrides = {}) {
  auto m = load(text, std::move(overrides));
  REQUIRE_FALSE(m.has_value());
  return m.error().message();
}

}  // namespace

TEST_CASE("a run-manifest parses, and input paths resolve against its directory", "[unit][run]") {
  auto m = load(k_manifest);
  REQUIRE(m.has_value());
  CHECK(m->seed == 7);
  CHECK(m->model_path == m->base_dir / "models/m.bin");
  CHECK(m->backend.name == "cpu");
  CHECK(m->backend.params.get("threads")->value<std::int64_t>() == 2);
  CHECK_FALSE(m->backend.params.contains("name"));
  REQUIRE(m->tasks.size() == 2);
  CHECK(m->tasks[0].alias == "perplexity");
  CHECK(m->tasks[0].dataset == m->base_dir / "data/text.txt");
  CHECK(m->tasks[0].params.contains("seqlen"));
  CHECK_FALSE(m->tasks[0].params.contains("dataset"));
  CHECK(m->tasks[1].alias == "ppl-again");
  CHECK(m->tasks[1].dataset == "/abs/text.txt");
  CHECK(m->tasks[1].limit == 3);
  REQUIRE(m->variants.size() == 1);
  CHECK_FALSE(m->variants.front().method.has_value());
  CHECK(m->variants.front().label == "dense");
  CHECK(m->output_dir == std::filesystem::path("results") / "run");
}

TEST_CASE("overrides given with --set reach every section", "[unit][run]") {
  auto m = load(k_manifest, {"seed=9", "backend.threads=1", "task.ppl-again.limit=5", "task.perplexity.seqlen=32",
                             "model.format=llama2c", "output.dir=elsewhere", "compress.method=none"});
  REQUIRE(m.has_value());
  CHECK(m->seed == 9);
  CHECK(m->backend.params.get("threads")->value<std::int64_t>() == 1);
  CHECK(m->tasks[1].limit == 5);
  CHECK(m->tasks[0].params.get("seqlen")->value<std::int64_t>() == 32);
  CHECK(m->format == kick::model_format::llama2c);
  CHECK(m->output_dir == "elsewhere");
  REQUIRE(m->variants.size() == 1);
  CHECK_FALSE(m->variants.front().method.has_value());
  CHECK(m->variants.front().label == "dense");
  SECTION("a value that is not TOML is taken as a string") {
    auto s = load(k_manifest, {"model.path=other model.bin"});
    REQUIRE(s.has_value());
    CHECK(s->model_path.filename() == "other model.bin");
  }
}

TEST_CASE("run-manifest errors name the file and key", "[unit][run]") {
  CHECK_THAT(error_of("[model]\npath = 1\n"), Catch::Contains("run.toml: model.path: expected a string, got integer"));
  CHECK_THAT(error_of(std::string(k_manifest) + "[outptu]\n"), Catch::Contains("did you mean 'output'"));
  CHECK_THAT(error_of("[backend]\nname=\"cpu\"\n[[task]]\nname=\"x\"\n"), Catch::Contains("[model] table is missing"));
  CHECK_THAT(error_of("[model]\npath=\"m\"\n[[task]]\nname=\"x\"\n"), Catch::Contains("[backend] table is missing"));
  CHECK_THAT(error_of("[model]\npath=\"m\"\n[backend]\nname=\"cpu\"\n"), Catch::Contains("no [[task]] entries"));
  CHECK_THAT(error_of("[model]\npath=\"m\"\nformat=\"onnx\"\n[backend]\nname=\"cpu\"\n[[task]]\nname=\"x\"\n"),
             Catch::Contains("model.format") && Catch::Contains("onnx"));
  CHECK_THAT(error_of("[model]\npath=\"m\"\n[backend]\nname=\"cpu\"\n[[task]]\nname=\"x\"\n[[task]]\nname=\"x\"\n"),
             Catch::Contains("two tasks share the alias 'x'"));
  CHECK_THAT(error_of("[model]\npath=\"m\"\n[backend]\nname=\"cpu\"\n[[task]]\nname=\"x\"\nlimit=-1\n"),
             Catch::Contains("task[0].limit: -1 must be >= 0"));
}

TEST_CASE("bad --set values name the flag", "[unit][run]") {
  CHECK_THAT(error_of(k_manifest, {"backend.threads"}), Catch::Contains("--set 'backend.threads': expected section.key=value"));
  CHECK_THAT(error_of(k_manifest, {"bakend.threads=1"}), Catch::Contains("did you mean 'backend'"));
  CHECK_THAT(error_of(k_manifest, {"task.perplexty.seqlen=1"}), Catch::Contains("no task named 'perplexty'") &&
                                                                    Catch::Contains("did you mean 'perplexity'"));
  CHECK_THAT(error_of(k_manifest, {"backend..x=1"}), Catch::Contains("empty key component"));
}

TEST_CASE("[[compress]] gives several labelled variants; labels must be distinct and path-safe", "[run][manifest]") {
  const auto dir = kick::test::scratch_dir("manifest-variants");
  const std::string head = "[model]\npath = \"m.bin\"\n[backend]\nname = \"cpu\"\n[[task]]\nname = \"perplexity\"\n";
  kick::test::write_file(dir / "ok.toml", head +
                                              "[[compress]]\nmethod = \"none\"\n"
                                              "[[compress]]\nmethod = \"magnitude\"\nlabel = \"mag-50\"\nsparsity = 0.5\n"
                                              "[compress.calibration]\nnsamples = 4\ndata = \"c.txt\"\n"
                                              "[[compress]]\nmethod = \"wanda\"\nsave = \"out/wanda\"\n");
  auto m = kick::load_run_manifest(dir / "ok.toml", {});
  REQUIRE(m.has_value());
  REQUIRE(m->variants.size() == 3);
  CHECK(m->variants[0].label == "dense");
  CHECK_FALSE(m->variants[0].method.has_value());
  CHECK(m->variants[1].label == "mag-50");
  REQUIRE(m->variants[1].method.has_value());
  CHECK(m->variants[1].method->params.contains("sparsity"));
  CHECK_FALSE(m->variants[1].method->params.contains("label"));
  CHECK(m->variants[1].calibration.nsamples == 4);
  CHECK(m->variants[1].calibration.data == (dir / "c.txt").lexically_normal());
  CHECK(m->variants[2].label == "wanda");
  CHECK(m->variants[2].save == "out/wanda");

  kick::test::write_file(dir / "dup.toml", head + "[[compress]]\nmethod = \"magnitude\"\n[[compress]]\nmethod = \"magnitude\"\nsparsity = 0.2\n");
  auto dup = kick::load_run_manifest(dir / "dup.toml", {});
  REQUIRE_FALSE(dup.has_value());
  CHECK_THAT(dup.error().message(), Catch::Contains("compress[1]") && Catch::Contains("label 'magnitude'"));

  kick::test::write_file(dir / "bad.toml", head + "[compress]\nmethod = \"magnitude\"\nlabel = \"../x\"\n");
  auto bad = kick::load_run_manifest(dir / "bad.toml", {});
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("label '../x'"));

  auto overridden = kick::load_run_manifest(dir / "ok.toml", std::vector<std::string>{"compress.method=none"});
  REQUIRE_FALSE(overridden.has_value());
  CHECK_THAT(overridden.error().message(), Catch::Contains("[[compress]] variants"));

  kick::test::write_file(dir / "badcal.toml", head + "[compress]\nmethod = \"wanda\"\n[compress.calibration]\nnsample = 3\n");
  auto badcal = kick::load_run_manifest(dir / "badcal.toml", {});
  REQUIRE_FALSE(badcal.has_value());
  CHECK_THAT(badcal.error().message(), Catch::Contains("nsample"));
}
