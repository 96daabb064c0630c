// Prompt text for both books, evidence truncation, and how each protocol extracts the answer.
#include <catch2/catch.hpp>

#include <string>

#include "qa_prompt.h"

using namespace kick::retrieval;
using namespace std::string_literals;

TEST_CASE("closed-book prompt is the question block alone", "[retrieval][prompt]") {
  const built_prompt p = build_prompt(book::closed, "Who wrote Hamlet?", "ignored evidence", 3072);
  CHECK(p.text == "Answer these questions:\n\nQ: Who wrote Hamlet?\nA:");
  CHECK(p.question_block == p.text);
  CHECK_FALSE(p.evidence_truncated);
}

TEST_CASE("open-book prompt puts the evidence first, then a blank line and the question block", "[retrieval][prompt]") {
  const built_prompt p = build_prompt(book::open, "Who wrote Hamlet?", "Hamlet is a play.", 3072);
  CHECK(p.text == "Hamlet is a play.\n\nBased on these texts, answer these questions:\n\nQ: Who wrote Hamlet?\nA:");
  CHECK(p.question_block == "Based on these texts, answer these questions:\n\nQ: Who wrote Hamlet?\nA:");
  CHECK_FALSE(p.evidence_truncated);
}

TEST_CASE("open-book evidence is cut in code points and the whole prompt is stripped", "[retrieval][prompt]") {
  const built_prompt p = build_prompt(book::open, "Q?", "  \u00e9t\u00e9 \u00e0 Paris", 5);
  CHECK(p.text == "\u00e9t\u00e9\n\nBased on these texts, answer these questions:\n\nQ: Q?\nA:");  // "  été" stripped
  CHECK(p.evidence_truncated);
  // No evidence at all (or a limit of 0): the prompt is the question block alone, stripped of "\n\n".
  CHECK(build_prompt(book::open, "Q?", "", 3072).text == "Based on these texts, answer these questions:\n\nQ: Q?\nA:");
  CHECK(build_prompt(book::open, "Q?", "abc", 0).text == "Based on these texts, answer these questions:\n\nQ: Q?\nA:");
}

TEST_CASE("the recorded prompt shows at most 200 characters of evidence", "[retrieval][prompt]") {
  std::string evidence;
  for (int i = 0; i < 300; ++i) evidence += "\u00e9";
  const std::string block = "\n\nBased on these texts, answer these questions:\n\nQ: Q?\nA:";
  std::string first200;
  for (int i = 0; i < 200; ++i) first200 += "\u00e9";
  CHECK(record_prompt(book::open, "Q?", evidence, 3072) == first200 + "..." + block);
  // Evidence already cut by max_evidence_chars below 200 is shown whole, without "...".
  CHECK(record_prompt(book::open, "Q?", evidence, 10) == evidence.substr(0, 20) + block);
  CHECK(record_prompt(book::closed, "Q?", evidence, 3072) == "Answer these questions:\n\nQ: Q?\nA:");
}

TEST_CASE("kick's prediction is the first line of the generated text, stripped", "[retrieval][prompt]") {
  CHECK(first_line_prediction(" William Shakespeare \nQ: next") == "William Shakespeare");
  CHECK(first_line_prediction(" Paris\r") == "Paris");
  CHECK(first_line_prediction("\nParis") == "");  // an answer on a later line is not taken
  CHECK(first_line_prediction("") == "");
}

TEST_CASE("llm-kick-code's prediction: split at the question block, strip, first line", "[retrieval][prompt]") {
  const std::string block = "Answer these questions:\n\nQ: Who?\nA:";
  auto p = code_prediction(block + " Shakespeare\nQ: more", block);
  REQUIRE(p.has_value());
  CHECK(*p == "Shakespeare");
  // Leading blank lines are stripped away before the first line is taken.
  p = code_prediction(block + " \n\n  Paris  \nx", block);
  REQUIRE(p.has_value());
  CHECK(*p == "Paris  ");
  // A repeated question block ends the part that is taken (str.split(...)[1]).
  p = code_prediction("evidence\n\n"s + block + " Rome " + block + " Oslo", block);
  REQUIRE(p.has_value());
  CHECK(*p == "Rome");
  p = code_prediction(block, block);
  REQUIRE(p.has_value());
  CHECK(p->empty());
  // Absent block: the released code raises IndexError; here it is an error.
  CHECK_FALSE(code_prediction("Answer these questions: Q: Who? A: x", block).has_value());
}
