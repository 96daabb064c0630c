// `kickhost run` with the multiple-choice task on a tiny random llama2.c model (its answers are
// noise): counts, metric keys, the samples file and its agreement with the metrics, prompts as
// the model saw them, shot reduction, limits, skips and errors.
#include <catch2/catch.hpp>
#include <algorithm>
#include <sstream>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::scratch_dir;
using kick::test::write_file;
using nlohmann::json;

// A dev question long enough that no shot fits a 160-token budget (the tiny tokenizer is ~1 token per byte).
const std::string k_long_dev_question =
    "Which of the following statements about the night sky, the planets that wander across it and the "
    "ancient stories told about them is the one that holds true?";

struct staged {
  std::filesystem::path dir;
  std::filesystem::path manifest;
};

staged stage(const std::string& name) {
  staged s;
  s.dir = scratch_dir(name);
  kick::test::tiny_model_shape shape;
  shape.seq_len = 1024;
  const std::string head = kick::test::write_tiny_run_files(s.dir, shape, 77);
  const auto mmlu = s.dir / "mmlu";
  write_file(mmlu / "dev" / "astronomy_dev.csv",
             "\"" + k_long_dev_question + "\",Mars,Venus,\"Sun, a star\",Moon,C\r\nRed planet?,Mars,Venus,Earth,Moon,A\r\n");
  write_file(mmlu / "test" / "astronomy_test.csv",
             "Hot star?,Sun,Moon,Mars,Pluto,A\nRinged?,Mars,Saturn,Venus,Mercury,B\n\"Say \"\"hi\"\"\",a,b,c,d,D\n");
  write_file(mmlu / "dev" / "kw_fiction_dev.csv", "\"" + k_long_dev_question + "\",w,x,y,z,D\nBig?,ant,cat,whale,dog,C\n");
  write_file(mmlu / "test" / "kw_fiction_test.csv", "Q1?,p,q,r,None,C\nQ2?,p,q,r,s,A\n\"Q3,\nwith a new line\",p,q,r,s,B");
  s.manifest = s.dir / "run.toml";
  write_file(s.manifest, "seed = 1\n" + head + "[[task]]\nname = \"multiple-choice\"\ndataset = \"mmlu\"\n");
  return s;
}

struct run_output {
  json results;
  std::vector<json> samples;
};

run_output run_ok(const staged& s, const std::string& out_name, const std::vector<std::string>& sets) {
  std::vector<std::string> args = {"run", s.manifest.string(), "--out", (s.dir / out_name).string()};
  for (const auto& set : sets) {
    args.push_back("--set");
    args.push_back(set);
  }
  const auto r = run_kickhost(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  run_output out;
  out.results = json::parse(read_file(s.dir / out_name / "results.json"));
  std::istringstream lines(read_file(s.dir / out_name / "samples_multiple-choice.jsonl"));
  std::string line;
  while (std::getline(lines, line)) out.samples.push_back(json::parse(line));
  return out;
}

double mean_of(const std::vector<json>& samples, const std::string& field, const std::string& subject = "") {
  double sum = 0.0, n = 0.0;
  for (const auto& s : samples) {
    if (!s.contains(field) || (!subject.empty() && s["subject"] != subject)) continue;
    sum += s[field].get<bool>() ? 1.0 : 0.0;
    n += 1.0;
  }
  return n == 0.0 ? -1.0 : sum / n;
}

}  // namespace

TEST_CASE("multiple-choice e2e: counts, metric keys, samples and prompts", "[multiple_choice][e2e]") {
  const staged s = stage("mc-e2e");
  const run_output o = run_ok(s, "out", {});
  const json& m = o.results["results"]["multiple-choice"];
  CHECK(o.results["n-samples"]["multiple-choice"]["original"] == 6);
  CHECK(o.results["n-samples"]["multiple-choice"]["effective"] == 6);
  for (const char* metric : {"acc_letter", "acc", "acc_norm"}) {
    for (const char* filter : {"none", "subject:astronomy", "subject:kw_fiction", "category:STEM", "category:other",
                               "subcategory:physics"}) {
      const std::string key = std::string(metric) + "," + filter;
      INFO(key);
      REQUIRE(m.contains(key));
      CHECK(m[key].get<double>() >= 0.0);
      CHECK(m[key].get<double>() <= 1.0);
      CHECK(m.contains(std::string(metric) + "_stderr," + filter));
    }
    CHECK_FALSE(m.contains(std::string(metric) + ",subcategory:kw_fiction"));
  }
  CHECK(o.results["higher_is_better"]["multiple-choice"]["acc_letter"] == true);
  const json& details = o.results["configs"]["multiple-choice"]["details"];
  CHECK(details["subjects"] == "2");
  CHECK(details["skipped_prompt_too_long"] == "0");
  CHECK(details["items_with_fewer_shots"] == "0");

  // One record per item, in subject then file order; the prompt only on each subject's first item.
  REQUIRE(o.samples.size() == 6);
  const std::vector<std::string> gold = {"A", "B", "D", "C", "A", "B"};
  for (std::size_t i = 0; i < 6; ++i) {
    const json& r = o.samples[i];
    INFO(r.dump());
    CHECK(r["subject"] == (i < 3 ? "astronomy" : "kw_fiction"));
    CHECK(r["index"] == static_cast<int>(i % 3));
    CHECK(r["gold"] == gold[i]);
    CHECK(r.contains("prompt") == (i % 3 == 0));
    CHECK(r["n_shot"] == 2);
    REQUIRE(r["loglikelihoods"].size() == 4);
    const auto lls = r["loglikelihoods"].get<std::vector<double>>();
    for (double ll : lls) CHECK(ll < 0.0);
    const auto best = std::max_element(lls.begin(), lls.end()) - lls.begin();
    CHECK(r["ll_correct"] == (std::string(1, static_cast<char>('A' + best)) == gold[i]));
    CHECK(r["ll_norm_correct"] == r["ll_correct"]);
    std::string stripped = r["generated"].get<std::string>();
    stripped.erase(0, stripped.find_first_not_of(" \t\n\r"));
    stripped.erase(stripped.find_last_not_of(" \t\n\r") + 1);
    CHECK(r["prediction"] == stripped);
    CHECK(r["letter_correct"] == (stripped == gold[i]));
  }
  CHECK(o.samples[0]["prompt"] ==
        "The following are multiple choice questions (with answers) about astronomy.\n\n"
        "Which of the following statements about the night sky, the planets that wander across it and the ancient stories "
        "told about them is the one that holds true?\nA. Mars\nB. Venus\nC. Sun, a star\nD. Moon\nAnswer: C\n\n"
        "Red planet?\nA. Mars\nB. Venus\nC. Earth\nD. Moon\nAnswer: A\n\n"
        "Hot star?\nA. Sun\nB. Moon\nC. Mars\nD. Pluto\nAnswer:");
  CHECK(o.samples[3]["prompt"].get<std::string>().starts_with(
      "The following are multiple choice questions (with answers) about kw fiction.\n\n"));
  CHECK(o.samples[3]["prompt"].get<std::string>().ends_with("\nQ1?\nA. p\nB. q\nC. r\nD. None\nAnswer:"));

  // The metrics are the records' means.
  CHECK(m["acc_letter,none"].get<double>() == Approx(mean_of(o.samples, "letter_correct")));
  CHECK(m["acc,none"].get<double>() == Approx(mean_of(o.samples, "ll_correct")));
  CHECK(m["acc_norm,none"].get<double>() == Approx(m["acc,none"].get<double>()));
  CHECK(m["acc,subject:astronomy"].get<double>() == Approx(mean_of(o.samples, "ll_correct", "astronomy")));
  CHECK(m["acc,category:STEM"].get<double>() == m["acc,subject:astronomy"].get<double>());
  CHECK(m["acc_letter,category:other"].get<double>() == Approx(mean_of(o.samples, "letter_correct", "kw_fiction")));
}

TEST_CASE("multiple-choice e2e: llm-kick-code header and shot reduction", "[multiple_choice][e2e]") {
  const staged s = stage("mc-e2e-code");
  const run_output o =
      run_ok(s, "out", {"task.multiple-choice.protocol=\"llm-kick-code\"", "task.multiple-choice.max_context_tokens=160"});
  REQUIRE(o.samples.size() == 6);
  for (const json& r : o.samples) {
    INFO(r.dump());
    REQUIRE_FALSE(r.contains("skipped"));
    CHECK(r["n_shot"] == 0);
    CHECK(r["prompt_tokens"].get<int>() <= 160);
    // The released code's prediction: the last character of prompt + output.
    const std::string generated = r["generated"].get<std::string>();
    if (!generated.empty()) CHECK(r["prediction"].get<std::string>().back() == generated.back());
  }
  CHECK(o.samples[0]["prompt"] ==
        "The following are multiple choice questions (with answers) about  astronomy.\n\n"
        "Hot star?\nA. Sun\nB. Moon\nC. Mars\nD. Pluto\nAnswer:");
  // Cells as pandas shows them: "None" is NA, printed "nan".
  CHECK(o.samples[3]["prompt"] ==
        "The following are multiple choice questions (with answers) about  kw fiction.\n\nQ1?\nA. p\nB. q\nC. r\nD. nan\nAnswer:");
  const json& details = o.results["configs"]["multiple-choice"]["details"];
  CHECK(details["items_with_fewer_shots"] == "6");
  CHECK(details["protocol"] == "llm-kick-code");
}

TEST_CASE("multiple-choice e2e: limits, subjects and scoring choices", "[multiple_choice][e2e]") {
  const staged s = stage("mc-e2e-limit");
  SECTION("a total limit takes the first items in subject order") {
    const run_output o = run_ok(s, "total", {"task.multiple-choice.limit=4"});
    CHECK(o.results["n-samples"]["multiple-choice"]["effective"] == 4);
    CHECK(o.results["n-samples"]["multiple-choice"]["original"] == 6);
    REQUIRE(o.samples.size() == 4);
    CHECK(o.samples[3]["subject"] == "kw_fiction");
    CHECK(o.samples[3]["index"] == 0);
  }
  SECTION("a per-subject limit") {
    const run_output o = run_ok(s, "subject", {"task.multiple-choice.limit=2", "task.multiple-choice.limit_scope=\"subject\""});
    REQUIRE(o.samples.size() == 4);
    CHECK(o.samples[1]["subject"] == "astronomy");
    CHECK(o.samples[2]["subject"] == "kw_fiction");
  }
  SECTION("one subject, generation only, zero shots") {
    const run_output o = run_ok(s, "one", {"task.multiple-choice.subjects=\"kw_fiction\"", "task.multiple-choice.scoring=\"generate\"",
                                           "task.multiple-choice.n_shot=0"});
    REQUIRE(o.samples.size() == 3);
    CHECK_FALSE(o.samples[0].contains("loglikelihoods"));
    CHECK(o.samples[0]["n_shot"] == 0);
    const json& m = o.results["results"]["multiple-choice"];
    CHECK(m.contains("acc_letter,none"));
    CHECK_FALSE(m.contains("acc,none"));
    CHECK_FALSE(m.contains("acc_letter,subject:astronomy"));
  }
  SECTION("log-likelihood only") {
    const run_output o = run_ok(s, "ll", {"task.multiple-choice.scoring=\"loglikelihood\""});
    CHECK_FALSE(o.samples[0].contains("generated"));
    CHECK_FALSE(o.results["results"]["multiple-choice"].contains("acc_letter,none"));
    CHECK(o.results["results"]["multiple-choice"].contains("acc_norm,none"));
  }
}

TEST_CASE("multiple-choice e2e: an item too long even without shots is skipped and counted", "[multiple_choice][e2e]") {
  const staged s = stage("mc-e2e-skip");
  write_file(s.dir / "mmlu" / "test" / "long_test.csv",
             "Short?,a,b,c,d,A\n\"" + std::string(1500, 'x') + "\",a,b,c,d,B\nAlso short?,a,b,c,d,C\n");
  const run_output o =
      run_ok(s, "out", {"task.multiple-choice.subjects=\"long\"", "task.multiple-choice.n_shot=0"});
  CHECK(o.results["n-samples"]["multiple-choice"]["original"] == 3);
  CHECK(o.results["n-samples"]["multiple-choice"]["effective"] == 2);
  CHECK(o.results["configs"]["multiple-choice"]["details"]["skipped_prompt_too_long"] == "1");
  REQUIRE(o.samples.size() == 3);
  CHECK(o.samples[1].contains("skipped"));
  CHECK_FALSE(o.samples[1].contains("letter_correct"));
}

TEST_CASE("multiple-choice e2e: bad datasets fail with file and line", "[multiple_choice][e2e]") {
  const staged s = stage("mc-e2e-bad");
  const auto run = [&](const std::vector<std::string>& sets) {
    std::vector<std::string> args = {"run", s.manifest.string(), "--out", (s.dir / "out").string()};
    for (const auto& set : sets) {
      args.push_back("--set");
      args.push_back(set);
    }
    return run_kickhost(args);
  };
  SECTION("a malformed row") {
    write_file(s.dir / "mmlu" / "test" / "kw_fiction_test.csv", "Q1?,p,q,r,None,C\nQ2?,p,q,r,s,E\n");
    const auto r = run({});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("kw_fiction_test.csv' line 2: answer 'E' is not one of A, B, C, D"));
  }
  SECTION("a missing dev file") {
    std::filesystem::remove(s.dir / "mmlu" / "dev" / "kw_fiction_dev.csv");
    const auto r = run({});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("subject 'kw_fiction' has no dev file"));
  }
  SECTION("an unknown subject") {
    const auto r = run({"task.multiple-choice.subjects=\"astronomy,astrology\""});
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains("'astrology' is not a subject"));
  }
  CHECK_FALSE(std::filesystem::exists(s.dir / "out" / "results.json"));
}
