// `kickhost run` with the factoid-qa task on a tiny random llama2.c model and the repository's
// 5-question FreebaseQA sample: counts, per-item records, prompts, the two protocols, clean errors.
// The random model's answers are wrong; only the plumbing and the rules are checked here.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;
using nlohmann::json;

const std::string k_alias = "factoid-qa";

std::filesystem::path sample_path() { return kick::test::source_dir() / "tests" / "factoid" / "freebase_sample.json"; }

struct staged_run {
  std::filesystem::path dir;
  std::filesystem::path manifest;
};

// A run-manifest for the tiny model (context 512, so that llm-kick-code's 3 x prompt length fits)
// with one factoid-qa task on `dataset`; `task_lines` are added to the [[task]] table.
staged_run stage(const std::string& name, const std::filesystem::path& dataset, const std::string& task_lines) {
  staged_run s;
  s.dir = kick::test::scratch_dir(name);
  kick::test::tiny_model_shape shape;
  shape.seq_len = 512;
  const std::string head = kick::test::write_tiny_run_files(s.dir, shape, 77);
  s.manifest = s.dir / "run.toml";
  write_file(s.manifest, "description = \"factoid e2e\"\nseed = 1\n" + head + "[[task]]\nname = \"factoid-qa\"\ndataset = \"" +
                             dataset.string() + "\"\n" + task_lines);
  return s;
}

struct run_output {
  json results;
  std::vector<json> records;
};

run_output run_ok(const staged_run& s) {
  const auto out = s.dir / "out";
  const auto r = run_kickhost({"run", s.manifest.string(), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  run_output o;
  o.results = json::parse(read_file(out / "results.json"));
  REQUIRE(o.results["configs"][k_alias]["samples_file"] == "samples_factoid-qa.jsonl");
  std::istringstream lines(read_file(out / "samples_factoid-qa.jsonl"));
  std::string line;
  while (std::getline(lines, line)) o.records.push_back(json::parse(line));
  return o;
}

// The sample's questions, read here independently of the plugin.
std::vector<json> sample_questions() { return json::parse(read_file(sample_path()))["Questions"].get<std::vector<json>>(); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("factoid-qa (kick protocol) runs every sample question and records each", "[e2e][factoid]") {
  const run_output o = run_ok(stage("factoid-e2e-kick", sample_path(), ""));
  const json& results = o.results;
  CHECK(results["n-samples"][k_alias]["original"] == 5);
  CHECK(results["n-samples"][k_alias]["effective"] == 5);
  CHECK(results["configs"][k_alias]["params"]["protocol"] == "kick");
  CHECK(results["configs"][k_alias]["params"]["max_new_tokens"] == 32);
  CHECK(results["configs"][k_alias]["details"]["protocol"] == "kick");
  CHECK(results["configs"][k_alias]["details"]["items"] == "5");
  CHECK(results["higher_is_better"][k_alias]["exact_match"] == true);

  const std::vector<json> questions = sample_questions();
  REQUIRE(o.records.size() == 5);
  int n_matches = 0;
  for (std::size_t i = 0; i < o.records.size(); ++i) {
    const json& record = o.records[i];
    const json& q = questions[i];
    INFO("record " << i << ": " << record.dump());
    CHECK(record["index"] == i);
    CHECK(record["id"] == q["Question-ID"]);
    CHECK(record["question"] == q["RawQuestion"]);
    CHECK(record["prompt"] == "Please give answer to this question: " + q["RawQuestion"].get<std::string>() + "\nThe answer is ");
    CHECK(record["aliases"] == q["Parses"][0]["Answers"][0]["AnswersName"]);
    // kick scores the generated text alone: no prompt in it, and it stops at the first newline.
    const std::string output = record["output"].get<std::string>();
    CHECK(output.find("Please give answer") == std::string::npos);
    CHECK(output.find('\n') == std::string::npos);
    n_matches += record["match"].get<bool>() ? 1 : 0;
  }
  // Question 1 names its answer ("blue") in the question; the random output does not say it, so
  // kick, which never looks at the prompt, counts no hit.
  CHECK(lower(o.records[1]["output"].get<std::string>()).find("blue") == std::string::npos);
  CHECK(o.records[1]["match"] == false);
  CHECK(results["results"][k_alias]["exact_match,none"].get<double>() == Approx(n_matches / 5.0));
  CHECK(results["configs"][k_alias]["details"]["matches"] == std::to_string(n_matches));
  CHECK(results["results"][k_alias]["exact_match_stderr,none"].is_number());
}

TEST_CASE("factoid-qa llm-kick-code: N+1 questions for limit N, prompt counted in the output", "[e2e][factoid]") {
  const run_output o = run_ok(stage("factoid-e2e-code", sample_path(), "limit = 3\nprotocol = \"llm-kick-code\"\n"));
  const json& results = o.results;
  CHECK(results["n-samples"][k_alias]["original"] == 5);
  CHECK(results["n-samples"][k_alias]["effective"] == 4);
  CHECK(results["configs"][k_alias]["details"]["divisor"] == "3");
  CHECK(results["configs"][k_alias]["details"]["protocol"] == "llm-kick-code");
  REQUIRE(o.records.size() == 4);
  int n_matches = 0;
  for (const json& record : o.records) {
    INFO(record.dump());
    // The decoded sequence starts with the prompt, as HF's batch_decode of generate's output does.
    const std::string prompt = record["prompt"].get<std::string>();
    CHECK(record["output"].get<std::string>().starts_with(prompt));
    CHECK(record["prompt_tokens"].get<std::int64_t>() > 0);
    n_matches += record["match"].get<bool>() ? 1 : 0;
  }
  // "Blue" occurs in question 1 itself, which the released code counts as a hit.
  CHECK(o.records[1]["match"] == true);
  CHECK(results["results"][k_alias]["exact_match,none"].get<double>() == Approx(n_matches / 3.0));
}

TEST_CASE("factoid-qa honours limit and the paper's prompt style", "[e2e][factoid]") {
  const run_output o = run_ok(stage("factoid-e2e-paper", sample_path(), "limit = 2\nprompt_style = \"paper\"\nmax_new_tokens = 4\n"));
  CHECK(o.results["n-samples"][k_alias]["effective"] == 2);
  CHECK(o.results["configs"][k_alias]["details"]["divisor"] == "2");
  REQUIRE(o.records.size() == 2);
  CHECK(o.records[0]["prompt"] == "Please give answer to this question: Which planet is known as the Red Planet? The answer is ");
  CHECK(o.records[1]["prompt"] == "Please give answer to this question: What colour is a clear day sky, blue or green? The answer is ");
}

TEST_CASE("factoid-qa run fails on a malformed FreebaseQA file naming file and item", "[e2e][factoid]") {
  const auto dir = kick::test::scratch_dir("factoid-e2e-bad-data");
  const auto bad = dir / "bad.json";
  write_file(bad, R"({"Questions": [{"Question-ID": "ok-0", "RawQuestion": "q?", "Parses": [{"Answers": [{"AnswersName": ["a"]}]}]},
                                    {"Question-ID": "bad-1", "RawQuestion": "q?", "Parses": [{"Answers": [{"AnswersName": []}]}]}]})");
  const staged_run s = stage("factoid-e2e-bad", bad, "");
  const auto r = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "out").string()});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains(bad.string()) && Catch::Contains("item 1 (Question-ID 'bad-1')") &&
                        Catch::Contains("AnswersName' is empty"));
  CHECK_FALSE(std::filesystem::exists(s.dir / "out" / "results.json"));
}
