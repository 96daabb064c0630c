// Reading TriviaQA rc exports: JSON array and JSON Lines, the repository's sample, optional parts,
// and malformed rows failing with the file and the row (or line).
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "triviaqa_dataset.h"

using namespace kick::retrieval;
using nlohmann::json;

using namespace std::string_literals;

namespace {

const std::filesystem::path k_sample = kick::test::source_dir() / "tests" / "retrieval" / "triviaqa_rc_sample.json";

// A minimal valid row; tests change one part of it.
json row(const std::string& question, const std::string& id) {
  return json{{"question", question},
              {"question_id", id},
              {"answer", {{"aliases", {"Paris"}}, {"normalized_aliases", {"paris"}}, {"value", "Paris"}}}};
}

std::string as_lines(const json& rows) {
  std::string text;
  for (const json& r : rows) text += r.dump() + "\n";
  return text;
}

std::string error_of(std::string_view text, const trivia_read_options& options = {}) {
  auto d = parse_triviaqa(text, "data/trivia.json", options);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().code() == kick::status_code::invalid_argument);
  return d.error().message();
}

}  // namespace

TEST_CASE("the repository's sample reads as three rows with their evidence", "[retrieval][dataset]") {
  auto d = read_triviaqa(k_sample.string(), {});
  REQUIRE(d.has_value());
  CHECK(d->layout == json_layout::array);
  REQUIRE(d->rows.size() == 3);
  const trivia_row& first = d->rows[0];
  CHECK(first.question == "Who wrote Hamlet?");
  CHECK(first.question_id == "kick_sample_1");
  CHECK(first.golds == std::vector<std::string>{"william shakespeare", "shakespeare", "bard", "bard of avon"});
  CHECK(first.has_wiki);
  CHECK(first.has_search);
  // wiki_context[0] directly followed by search_context[0].
  CHECK(first.evidence.starts_with("William Shakespeare (1564\u20131616) was"));
  CHECK(first.evidence.find("seven years after his death.Hamlet, Prince of Denmark") != std::string::npos);
  CHECK(first.evidence.ends_with("between 1599 and 1601."));
  // Row 2 has no entity page, row 3 no search result: the evidence is the one that exists.
  CHECK_FALSE(d->rows[1].has_wiki);
  CHECK(d->rows[1].evidence.starts_with("Iron is a chemical element"));
  CHECK_FALSE(d->rows[2].has_search);
  CHECK(d->rows[2].evidence.starts_with("The Eiffel Tower"));
}

TEST_CASE("JSON Lines and a JSON array give the same rows", "[retrieval][dataset]") {
  const json rows = json::parse(kick::test::read_file(k_sample));
  auto from_array = parse_triviaqa(rows.dump(), "a.json", {});
  auto from_lines = parse_triviaqa("\n"s + as_lines(rows) + "\n  \n", "a.jsonl", {});  // blank lines are not rows
  REQUIRE(from_array.has_value());
  REQUIRE(from_lines.has_value());
  CHECK(from_lines->layout == json_layout::lines);
  CHECK(from_array->layout == json_layout::array);
  REQUIRE(from_lines->rows.size() == from_array->rows.size());
  for (std::size_t i = 0; i < from_array->rows.size(); ++i) {
    CHECK(from_lines->rows[i].question == from_array->rows[i].question);
    CHECK(from_lines->rows[i].golds == from_array->rows[i].golds);
    CHECK(from_lines->rows[i].evidence == from_array->rows[i].evidence);
  }
  // A byte-order mark and surrounding whitespace are accepted too.
  auto with_bom = parse_triviaqa("\xEF\xBB\xBF  \n"s + rows.dump(2) + "\n", "b.json", {});
  REQUIRE(with_bom.has_value());
  CHECK(with_bom->rows.size() == 3);
  CHECK(parse_triviaqa("[]", "empty.json", {})->rows.empty());
}

TEST_CASE("evidence is kept only up to the asked number of code points", "[retrieval][dataset]") {
  json r = row("Q?", "x");
  r["entity_pages"] = {{"wiki_context", {"\u00e9\u00e9\u00e9", "second page is never used"}}};
  r["search_results"] = {{"search_context", {"abcdef"}}};
  trivia_read_options options;
  options.evidence_chars_kept = 5;
  auto d = parse_triviaqa(as_lines(json::array({r})), "x.jsonl", options);
  REQUIRE(d.has_value());
  CHECK(d->rows[0].evidence == "\u00e9\u00e9\u00e9ab");
  options.keep_evidence = false;
  d = parse_triviaqa(as_lines(json::array({r})), "x.jsonl", options);
  REQUIRE(d.has_value());
  CHECK(d->rows[0].evidence.empty());
  CHECK(d->rows[0].has_wiki);
}

TEST_CASE("gold aliases: normalized_aliases when present, else the normalised aliases", "[retrieval][dataset]") {
  json r = row("Q?", "x");
  r["answer"] = {{"aliases", {"The Beatles", "Fab_Four"}}};
  auto d = parse_triviaqa(as_lines(json::array({r})), "x.jsonl", {});
  REQUIRE(d.has_value());
  CHECK(d->rows[0].golds == std::vector<std::string>{"beatles", "fab four"});
  r["answer"]["normalized_aliases"] = json::array();
  d = parse_triviaqa(as_lines(json::array({r})), "x.jsonl", {});
  REQUIRE(d.has_value());
  CHECK(d->rows[0].golds == std::vector<std::string>{"beatles", "fab four"});
  // Optional parts may be missing or null; question_id too.
  json bare = {{"question", "Q?"}, {"answer", {{"normalized_aliases", {"x"}}}}, {"entity_pages", nullptr}};
  d = parse_triviaqa(as_lines(json::array({bare})), "x.jsonl", {});
  REQUIRE(d.has_value());
  CHECK_FALSE(d->rows[0].question_id.has_value());
  CHECK(d->rows[0].evidence.empty());
}

TEST_CASE("malformed JSON Lines rows fail with the file and the line", "[retrieval][dataset]") {
  const std::string good = row("Q?", "a").dump() + "\n";
  CHECK_THAT(error_of(good + "\n{\"question\": \n"),
             Catch::StartsWith("dataset 'data/trivia.json' line 3: not valid JSON"));
  json r = row("Q?", "b");
  r.erase("question");
  CHECK(error_of(good + r.dump()) == "dataset 'data/trivia.json' line 2: no 'question'");
  r["question"] = 7;
  CHECK(error_of(good + r.dump()) == "dataset 'data/trivia.json' line 2: 'question' is not a string");
  r["question"] = "  ";
  CHECK(error_of(good + r.dump()) == "dataset 'data/trivia.json' line 2: 'question' is empty");
  r = row("Q?", "b");
  r["answer"] = {{"aliases", json::array()}, {"normalized_aliases", json::array()}};
  CHECK_THAT(error_of(good + r.dump()), Catch::StartsWith("dataset 'data/trivia.json' line 2: no answer alias"));
  r.erase("answer");
  CHECK(error_of(good + r.dump()) == "dataset 'data/trivia.json' line 2: no 'answer'");
  CHECK(error_of(good + "[1, 2]") == "dataset 'data/trivia.json' line 2: not a JSON object");
}

TEST_CASE("wrong types inside a row name the field", "[retrieval][dataset]") {
  const auto with = [](const std::string& key, json value) {
    json r = row("Q?", "x");
    r[key] = std::move(value);
    return as_lines(json::array({row("ok", "0"), r}));
  };
  CHECK(error_of(with("question_id", 12)) == "dataset 'data/trivia.json' line 2: 'question_id' is not a string");
  CHECK(error_of(with("answer", "Paris")) == "dataset 'data/trivia.json' line 2: 'answer' is not an object");
  CHECK(error_of(with("answer", {{"aliases", "Paris"}})) ==
        "dataset 'data/trivia.json' line 2: 'answer.aliases' is not a list");
  CHECK(error_of(with("answer", {{"normalized_aliases", {"paris", 3}}})) ==
        "dataset 'data/trivia.json' line 2: 'answer.normalized_aliases'[1] is not a string");
  CHECK(error_of(with("entity_pages", json::array())) ==
        "dataset 'data/trivia.json' line 2: 'entity_pages' is not an object");
  CHECK(error_of(with("search_results", {{"search_context", {1}}})) ==
        "dataset 'data/trivia.json' line 2: 'search_results.search_context'[0] is not a string");
}

TEST_CASE("malformed JSON arrays fail with the file and the row", "[retrieval][dataset]") {
  const std::string a = row("Q1?", "a").dump(), b = row("Q2?", "b").dump();
  json bad = row("Q3?", "c");
  bad["answer"].erase("aliases");
  bad["answer"].erase("normalized_aliases");
  CHECK_THAT(error_of("["s + a + ",\n" + b + ",\n" + bad.dump() + "]"),
             Catch::StartsWith("dataset 'data/trivia.json' row 3: no answer alias"));
  CHECK_THAT(error_of("["s + a + ", {\"question\": }]"), Catch::StartsWith("dataset 'data/trivia.json' row 2: not valid JSON"));
  CHECK(error_of("["s + a + ", " + b) == "dataset 'data/trivia.json' row 2: the file ends inside the array (no closing ']')");
  CHECK(error_of("["s + a + ", ]") == "dataset 'data/trivia.json' row 2: a comma before the closing ']' (no row follows it)");
  CHECK(error_of("["s + a + "]\n[]") == "dataset 'data/trivia.json' line 2: unexpected text after the array's closing ']'");
  CHECK(error_of("["s + a + ", \"text\"]") == "dataset 'data/trivia.json' row 2: not a JSON object");
  // Brackets and commas inside strings are not structure.
  auto d = parse_triviaqa("["s + row("a ] tricky, \\\"question\\\" {", "a").dump() + "]", "t.json", {});
  REQUIRE(d.has_value());
  CHECK(d->rows[0].question == "a ] tricky, \\\"question\\\" {");
}

TEST_CASE("files that are neither layout, empty or missing fail clearly", "[retrieval][dataset]") {
  CHECK(error_of("") == "dataset 'data/trivia.json': the file is empty");
  CHECK(error_of(" \n ") == "dataset 'data/trivia.json': the file is empty");
  CHECK_THAT(error_of("\n\"just a string\""), Catch::StartsWith("dataset 'data/trivia.json' line 2: expected a JSON array"));
  auto missing = read_triviaqa("/nonexistent/trivia.json", {});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == kick::status_code::not_found);
  CHECK_THAT(missing.error().message(), Catch::StartsWith("dataset '/nonexistent/trivia.json': cannot open"));
}
