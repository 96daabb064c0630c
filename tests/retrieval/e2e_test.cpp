// `kickhost run` with the retrieval-qa task on a tiny random llama2.c model and the repository's
// 3-row TriviaQA rc sample: counts, metric keys, per-item records and prompts, both books and
// both protocols, and a clean failure on a malformed file. The random model's answers are wrong;
// only the plumbing and the rules are checked here.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/tiny_files.h"
#include "text_normalize.h"

using namespace std::string_literals;

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;
using kick::retrieval::normalize_answer;
using nlohmann::json;

std::filesystem::path sample_path() { return kick::test::source_dir() / "tests" / "retrieval" / "triviaqa_rc_sample.json"; }

struct staged_run {
  std::filesystem::path dir;
  std::filesystem::path manifest;
};

// A run-manifest for the tiny model (context 1024: open-book prompts are one token per byte
// with its byte tokenizer); `tasks` holds the [[task]] tables.
staged_run stage(const std::string& name, const std::string& tasks) {
  staged_run s;
  s.dir = kick::test::scratch_dir(name);
  kick::test::tiny_model_shape shape;
  shape.seq_len = 1024;
  const std::string head = kick::test::write_tiny_run_files(s.dir, shape, 91);
  s.manifest = s.dir / "run.toml";
  write_file(s.manifest, "description = \"retrieval e2e\"\nseed = 1\n" + head + tasks);
  return s;
}

std::string task_table(const std::string& alias, const std::filesystem::path& dataset, const std::string& lines) {
  return "[[task]]\nname = \"retrieval-qa\"\nalias = \""s + alias + "\"\ndataset = \"" + dataset.string() + "\"\n" + lines;
}

std::vector<json> records_of(const std::filesystem::path& out, const std::string& alias) {
  std::vector<json> records;
  std::istringstream lines(read_file(out / ("samples_"s + alias + ".jsonl")));
  std::string line;
  while (std::getline(lines, line)) records.push_back(json::parse(line));
  return records;
}

json run_ok(const staged_run& s) {
  const auto r = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(read_file(s.dir / "out" / "results.json"));
}

std::string first_chars(const std::string& utf8, std::size_t n) {  // first n code points
  std::size_t seen = 0;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    if ((static_cast<unsigned char>(utf8[i]) & 0xC0) == 0x80) continue;
    if (seen++ == n) return utf8.substr(0, i);
  }
  return utf8;
}

double mean_of(const std::vector<json>& records, const char* key) {
  double sum = 0.0;
  for (const json& r : records) sum += r[key].get<double>();
  return sum / static_cast<double>(records.size());
}

// Checks shared by every run: metric keys, counts, and each record against the sample row.
void check_task(const json& results, const std::vector<json>& records, const std::string& alias, std::int64_t n_items) {
  const json rows = json::parse(read_file(sample_path()));
  CHECK(results["n-samples"][alias]["original"] == 3);
  CHECK(results["n-samples"][alias]["effective"] == n_items);
  CHECK(results["configs"][alias]["samples_file"] == "samples_"s + alias + ".jsonl");
  for (const char* key : {"exact_match,none", "f1,none", "exact_match_stderr,none", "f1_stderr,none"}) {
    INFO(key);
    CHECK(results["results"][alias][key].is_number());
  }
  CHECK(results["higher_is_better"][alias]["exact_match"] == true);
  CHECK(results["higher_is_better"][alias]["f1"] == true);
  REQUIRE(records.size() == static_cast<std::size_t>(n_items));
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    INFO("record " << i << ": " << r.dump());
    std::vector<std::string> keys;
    for (const auto& item : r.items()) keys.push_back(item.key());
    CHECK(keys == std::vector<std::string>{"aliases", "exact_match", "f1", "output", "prediction", "prompt", "question_id"});
    CHECK(r["question_id"] == rows[i]["question_id"]);
    CHECK(r["aliases"] == rows[i]["answer"]["normalized_aliases"]);
    const double em = r["exact_match"].get<double>(), f1 = r["f1"].get<double>();
    CHECK((em == 0.0 || em == 1.0));
    CHECK((f1 >= 0.0 && f1 <= 1.0));
    CHECK(r["prediction"].get<std::string>().find('\n') == std::string::npos);
  }
  CHECK(results["results"][alias]["exact_match,none"].get<double>() == Approx(mean_of(records, "exact_match")));
  CHECK(results["results"][alias]["f1,none"].get<double>() == Approx(mean_of(records, "f1")));
}

}  // namespace

TEST_CASE("retrieval-qa closed and open book through kickhost run", "[e2e][retrieval]") {
  const staged_run s = stage("retrieval-e2e-books", task_table("trivia-closed", sample_path(), "") +
                                                       task_table("trivia-open", sample_path(),
                                                                  "book = \"open\"\nmax_evidence_chars = 250\n"));
  const json results = run_ok(s);
  const json rows = json::parse(read_file(sample_path()));

  const std::vector<json> closed = records_of(s.dir / "out", "trivia-closed");
  check_task(results, closed, "trivia-closed", 3);
  CHECK(results["configs"]["trivia-closed"]["params"]["book"] == "closed");
  CHECK(results["configs"]["trivia-closed"]["params"]["protocol"] == "kick");
  CHECK(results["configs"]["trivia-closed"]["params"]["max_new_tokens"] == 32);
  CHECK(results["configs"]["trivia-closed"]["details"]["format"] == "json array");
  for (std::size_t i = 0; i < closed.size(); ++i) {
    CHECK(closed[i]["prompt"] == "Answer these questions:\n\nQ: "s + rows[i]["question"].get<std::string>() + "\nA:");
    // kick: generation stops at the first newline; the prediction is the output, stripped.
    const std::string output = closed[i]["output"].get<std::string>();
    CHECK(output.find('\n') == std::string::npos);
    CHECK(output.find(closed[i]["prediction"].get<std::string>()) != std::string::npos);
  }

  const std::vector<json> open = records_of(s.dir / "out", "trivia-open");
  check_task(results, open, "trivia-open", 3);
  const json& details = results["configs"]["trivia-open"]["details"];
  CHECK(details["book"] == "open");
  CHECK(details["max_evidence_chars"] == "250");
  CHECK(details["items_with_evidence"] == "3");
  CHECK(details["items_evidence_truncated"] == "1");  // only row 1's wiki + search text is over 250
  const std::string block = "\n\nBased on these texts, answer these questions:\n\nQ: ";
  // Row 1: wiki then search evidence, cut to 250 and shown as its first 200 characters + "...".
  const std::string evidence1 = rows[0]["entity_pages"]["wiki_context"][0].get<std::string>() +
                                rows[0]["search_results"]["search_context"][0].get<std::string>();
  CHECK(open[0]["prompt"] == first_chars(evidence1, 200) + "..." + block + "Who wrote Hamlet?\nA:");
  // Row 2 has only a search result (under 200 characters), row 3 only a wiki page (over 200).
  CHECK(open[1]["prompt"] == rows[1]["search_results"]["search_context"][0].get<std::string>() + block +
                                 rows[1]["question"].get<std::string>() + "\nA:");
  CHECK(open[2]["prompt"] == first_chars(rows[2]["entity_pages"]["wiki_context"][0].get<std::string>(), 200) + "..." +
                                 block + rows[2]["question"].get<std::string>() + "\nA:");
}

TEST_CASE("retrieval-qa llm-kick-code honours limit, its extraction and its lenient match", "[e2e][retrieval]") {
  const std::string common = "limit = 2\nbook = \"open\"\nmax_new_tokens = 12\n";
  const staged_run s = stage("retrieval-e2e-code", task_table("trivia-kick", sample_path(), common) +
                                                       task_table("trivia-code", sample_path(), common + "protocol = \"llm-kick-code\"\n"));
  const json results = run_ok(s);
  const std::vector<json> kick = records_of(s.dir / "out", "trivia-kick");
  const std::vector<json> code = records_of(s.dir / "out", "trivia-code");
  check_task(results, kick, "trivia-kick", 2);
  check_task(results, code, "trivia-code", 2);
  CHECK(results["configs"]["trivia-code"]["details"]["protocol"] == "llm-kick-code");
  CHECK(results["configs"]["trivia-code"]["details"]["exact_match_rule"] == "containment either way");
  CHECK(results["configs"]["trivia-kick"]["details"]["exact_match_rule"] == "equality");
  for (std::size_t i = 0; i < code.size(); ++i) {
    INFO(kick[i].dump() << "\n" << code[i].dump());
    CHECK(code[i]["prompt"] == kick[i]["prompt"]);
    // The part after the question block is the generated text: the prediction is taken from it.
    const std::string code_output = code[i]["output"].get<std::string>();
    CHECK(code_output.find(code[i]["prediction"].get<std::string>()) != std::string::npos);
    // Greedy decoding is the same in both; kick only stops at the first newline.
    CHECK(kick[i]["output"] == code_output.substr(0, code_output.find('\n')));
    // A prediction that normalises to nothing (the random model likes ':' runs; item 0 is one
    // with this model) is right under the released code's containment and wrong under kick.
    if (normalize_answer(code[i]["prediction"].get<std::string>()).empty()) CHECK(code[i]["exact_match"] == 1.0);
    if (normalize_answer(kick[i]["prediction"].get<std::string>()).empty()) CHECK(kick[i]["exact_match"] == 0.0);
  }
}

TEST_CASE("retrieval-qa JSON Lines input gives the same prompts as the JSON array", "[e2e][retrieval]") {
  const auto dir = kick::test::scratch_dir("retrieval-e2e-jsonl-data");
  std::string lines;
  for (const json& row : json::parse(read_file(sample_path()))) lines += row.dump() + "\n";
  write_file(dir / "trivia.jsonl", lines);
  const staged_run s = stage("retrieval-e2e-jsonl", task_table("a", sample_path(), "limit = 2\nbook = \"open\"\n") +
                                                         task_table("b", dir / "trivia.jsonl", "limit = 2\nbook = \"open\"\n"));
  const json results = run_ok(s);
  CHECK(results["configs"]["b"]["details"]["format"] == "json lines");
  const std::vector<json> a = records_of(s.dir / "out", "a"), b = records_of(s.dir / "out", "b");
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i]["prompt"] == b[i]["prompt"]);
    CHECK(a[i]["output"] == b[i]["output"]);  // greedy decoding is deterministic
  }
}

TEST_CASE("retrieval-qa run fails on a malformed row naming file and line", "[e2e][retrieval]") {
  const auto dir = kick::test::scratch_dir("retrieval-e2e-bad-data");
  const auto bad = dir / "bad.jsonl";
  write_file(bad, "{\"question\": \"q?\", \"answer\": {\"normalized_aliases\": [\"a\"]}}\n"
                  "{\"question\": \"q2?\", \"answer\": {\"aliases\": []}}\n");
  const staged_run s = stage("retrieval-e2e-bad", task_table("trivia", bad, ""));
  const auto r = run_kickhost({"run", s.manifest.string(), "--out", (s.dir / "out").string()});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("dataset '"s + bad.string() + "' line 2: no answer alias"));
  CHECK_FALSE(std::filesystem::exists(s.dir / "out" / "results.json"));
}

TEST_CASE("retrieval-qa on stories260K: both protocols agree on a SentencePiece vocabulary", "[e2e][retrieval][fixture]") {
  KICK_REQUIRE_FIXTURE(model, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(tokenizer, "stories260K/tok512.bin");
  const auto dir = kick::test::scratch_dir("retrieval-e2e-stories");
  const std::string tasks = task_table("kick", sample_path(), "book = \"open\"\nmax_evidence_chars = 120\n") +
                            task_table("code", sample_path(), "book = \"open\"\nmax_evidence_chars = 120\nprotocol = \"llm-kick-code\"\n");
  write_file(dir / "run.toml", "description = \"stories\"\n[model]\npath = \""s + model.string() + "\"\ntokenizer = \"" +
                                   tokenizer.string() + "\"\n[backend]\nname = \"cpu\"\nthreads = 1\n" + tasks);
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<json> kick = records_of(dir / "out", "kick"), code = records_of(dir / "out", "code");
  REQUIRE(kick.size() == 3);
  REQUIRE(code.size() == 3);
  for (std::size_t i = 0; i < kick.size(); ++i) {
    INFO(kick[i].dump() << "\n" << code[i].dump());
    // The decoded prompt reproduces the question block, so the code's split finds the answer; its
    // first non-blank line is kick's answer whenever the model answers on the first line.
    const std::string code_output = code[i]["output"].get<std::string>();
    CHECK(kick[i]["output"] == code_output.substr(0, code_output.find('\n')));
    if (!kick[i]["prediction"].get<std::string>().empty()) CHECK(code[i]["prediction"] == kick[i]["prediction"]);
  }
}
