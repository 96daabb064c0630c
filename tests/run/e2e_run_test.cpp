// `kickhost run` end to end on a tiny random llama2.c model: results.json in the documented
// schema, perplexity consistent with its own details, and clean failures.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cmath>
#include <sstream>
#include <nlohmann/json.hpp>

#include "support/tiny_files.h"
#include "support/test_support.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::scratch_dir;
using kick::test::write_file;

struct staged_run {
  std::filesystem::path dir;
  std::filesystem::path manifest;
};

staged_run stage(const std::string& name) {
  staged_run s;
  s.dir = scratch_dir(name);
  const std::string head = kick::test::write_tiny_run_files(s.dir, {}, 1234);
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the cat sat on the mat and the dog ate the hat. ";
  write_file(s.dir / "text.txt", text);
  s.manifest = s.dir / "run.toml";
  write_file(s.manifest, "description = \"e2e\"\nseed = 3\n" + head +
                             "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\nseqlen = 64\n");
  return s;
}

}  // namespace

TEST_CASE("kickhost run writes results.json in the documented schema", "[e2e][run]") {
  const staged_run s = stage("e2e-schema");
  const auto out = s.dir / "out";
  const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("| perplexity") && Catch::Contains("ppl"));
  const auto doc = nlohmann::json::parse(read_file(out / "results.json"));
  for (const char* key : {"results", "configs", "versions", "n-samples", "higher_is_better", "n-shot", "config", "git_hash",
                          "date", "total_evaluation_time_seconds", "compression"}) {
    CHECK(doc.contains(key));
  }
  const auto& metrics = doc["results"]["perplexity"];
  const double ppl = metrics["ppl,none"].get<double>();
  const double nll = metrics["nll,none"].get<double>();
  CHECK(ppl == Approx(std::exp(nll)).epsilon(1e-12));
  CHECK(ppl > 1.0);
  CHECK(ppl < 272.0 * 4);  // a random model is near-uniform, not absurd
  const auto& details = doc["configs"]["perplexity"]["details"];
  const std::int64_t tokens = std::stoll(details["tokens"].get<std::string>());
  const std::int64_t windows = std::stoll(details["windows"].get<std::string>());
  CHECK(windows == tokens / 64);
  CHECK(doc["n-samples"]["perplexity"]["effective"] == windows);
  CHECK(doc["higher_is_better"]["perplexity"]["ppl"] == false);
  CHECK(doc["config"]["backend"] == "cpu");
  CHECK(doc["config"]["backend_params"]["threads"] == 1);
  CHECK(doc["config"]["seed"] == 3);
  CHECK(doc["config"]["model_format"] == "llama2c");
  CHECK(doc["configs"]["perplexity"]["params"]["seqlen"] == 64);
  CHECK(doc["compression"]["method"] == "none");
  CHECK(doc["config"]["timings"].contains("model_load_seconds"));
  // Peak RSS: present, non-zero and below the machine's memory.
  REQUIRE(doc["config"]["timings"].contains("peak_rss_bytes"));
  const std::int64_t peak_rss = doc["config"]["timings"]["peak_rss_bytes"].get<std::int64_t>();
  CHECK(peak_rss > 0);
  CHECK(peak_rss < static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE));
  // One record per window in samples_<alias>.jsonl; their mean NLL is the reported one.
  REQUIRE(doc["configs"]["perplexity"]["samples_file"] == "samples_perplexity.jsonl");
  std::istringstream lines(read_file(out / "samples_perplexity.jsonl"));
  std::string line;
  double sum = 0.0;
  std::int64_t n = 0;
  while (std::getline(lines, line)) {
    const auto record = nlohmann::json::parse(line);
    CHECK(record["window"] == n);
    sum += record["nll"].get<double>();
    ++n;
  }
  CHECK(n == windows);
  CHECK(sum / static_cast<double>(n) == Approx(nll).epsilon(1e-12));
}

TEST_CASE("kickhost run is deterministic and honours --set", "[e2e][run]") {
  const staged_run s = stage("e2e-set");
  const auto a = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "a").string()});
  const auto b = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "b").string(), "--set", "backend.threads=2"});
  const auto c = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "c").string(), "--set",
                               "task.perplexity.seqlen=32", "--set", "task.perplexity.limit=2"});
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  REQUIRE(c.exit_code == 0);
  const auto ja = nlohmann::json::parse(read_file(s.dir / "a" / "results.json"));
  const auto jb = nlohmann::json::parse(read_file(s.dir / "b" / "results.json"));
  const auto jc = nlohmann::json::parse(read_file(s.dir / "c" / "results.json"));
  // Thread count must not change the numbers beyond float reassociation noise.
  CHECK(jb["results"]["perplexity"]["ppl,none"].get<double>() ==
        Approx(ja["results"]["perplexity"]["ppl,none"].get<double>()).epsilon(1e-4));
  CHECK(jc["configs"]["perplexity"]["details"]["seqlen"] == "32");
  CHECK(jc["n-samples"]["perplexity"]["effective"] == 2);
  CHECK(jc["configs"]["perplexity"]["limit"] == 2);
}

TEST_CASE("kickhost run fails cleanly on bad input and writes no results", "[e2e][run]") {
  const staged_run s = stage("e2e-bad");
  const auto out = s.dir / "out";
  SECTION("unknown backend parameter") {
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "backend.thread=2"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("unknown parameter 'thread'") && Catch::Contains("did you mean 'threads'"));
  }
  SECTION("parameter out of range") {
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "task.perplexity.seqlen=1"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("seqlen") && Catch::Contains("outside the allowed range"));
  }
  SECTION("unknown task plugin") {
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "task.perplexity.name=perplexit"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("unknown task plugin 'perplexit'") && Catch::Contains("did you mean 'perplexity'"));
  }
  SECTION("missing dataset") {
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "task.perplexity.dataset=nope.txt"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("dataset") && Catch::Contains("nope.txt") && Catch::Contains("not found"));
  }
  SECTION("missing model") {
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "model.path=absent.bin"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("model.path") && Catch::Contains("absent.bin"));
  }
  SECTION("dataset shorter than one window") {
    write_file(s.dir / "short.txt", "tiny");
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string(), "--set", "task.perplexity.dataset=short.txt"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("fewer than one window"));
  }
  SECTION("missing manifest") {
    const auto r = run_kickhost({"run", (s.dir / "absent.toml").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("absent.toml") && Catch::Contains("not found"));
  }
  CHECK_FALSE(std::filesystem::exists(out / "results.json"));
}

TEST_CASE("a .jsonl dataset equals its documents joined by the separator", "[e2e][run]") {
  const staged_run s = stage("e2e-jsonl");
  std::string a, b;
  for (int i = 0; i < 12; ++i) a += "the cat sat on the mat. ";
  for (int i = 0; i < 12; ++i) b += "a dog ate the hat! ";
  write_file(s.dir / "docs.jsonl", "{\"text\": \"" + a + "\", \"id\": 1}\n\n{\"text\": \"" + b + "\"}\n");
  write_file(s.dir / "joined.txt", a + "\n\n" + b);
  const auto j = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "j").string(), "--set",
                               "task.perplexity.dataset=docs.jsonl"});
  const auto t = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "t").string(), "--set",
                               "task.perplexity.dataset=joined.txt"});
  INFO(j.err << t.err);
  REQUIRE(j.exit_code == 0);
  REQUIRE(t.exit_code == 0);
  const auto dj = nlohmann::json::parse(read_file(s.dir / "j" / "results.json"));
  const auto dt = nlohmann::json::parse(read_file(s.dir / "t" / "results.json"));
  CHECK(dj["configs"]["perplexity"]["details"]["tokens"] == dt["configs"]["perplexity"]["details"]["tokens"]);
  CHECK(dj["results"]["perplexity"]["ppl,none"].get<double>() == dt["results"]["perplexity"]["ppl,none"].get<double>());

  SECTION("a bad line is named") {
    write_file(s.dir / "bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n");
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "bad").string(), "--set",
                                 "task.perplexity.dataset=bad.jsonl"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("bad.jsonl' line 2: no field 'text'"));
  }
  SECTION("invalid JSON is named") {
    write_file(s.dir / "broken.jsonl", "{\"text\": \"ok\"\n");
    const auto r = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "broken").string(), "--set",
                                 "task.perplexity.dataset=broken.jsonl"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("broken.jsonl' line 1: not valid JSON"));
  }
}
