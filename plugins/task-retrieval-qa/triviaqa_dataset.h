// TriviaQA "rc" rows as published by the Hugging Face datasets loader
// (load_dataset("trivia_qa", "rc")["validation"]) and exported as JSON: one array of rows or
// JSON Lines. Only question, question_id, answer.{normalized_aliases, aliases},
// entity_pages.wiki_context and search_results.search_context are read; other keys are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_rows.h"
#include "kick/status.h"

namespace kick::retrieval {

struct trivia_row {
  std::optional<std::string> question_id;
  std::string question;
  // answer.normalized_aliases when present and non-empty, else normalize_answer(answer.aliases).
  std::vector<std::string> golds;
  // entity_pages.wiki_context[0] (if any) followed directly by search_results.search_context[0]
  // (if any), as LLM-KICK concatenates them; cut to at most evidence_chars_kept code points.
  std::string evidence;
  bool has_wiki = false;
  bool has_search = false;
};

struct trivia_dataset {
  std::vector<trivia_row> rows;
  json_layout layout = json_layout::lines;
};

struct trivia_read_options {
  bool keep_evidence = true;
  // Evidence is only ever used up to the prompt's limit; keep one code point more than that so
  // truncation stays visible, and memory stays bounded on multi-gigabyte exports.
  std::size_t evidence_chars_kept = std::numeric_limits<std::size_t>::max();
};

// Every row is validated (rows beyond a run's limit too); the first malformed one fails with
// invalid_argument "dataset '<path>' <row N | line N>: <what is wrong>".
// Wrong: not JSON, not an object, no string 'question' or an empty one, 'question_id' not a
// string, no 'answer' object, alias lists that are not lists of strings, no alias at all,
// 'entity_pages' / 'search_results' not objects, their context lists not lists of strings.
result<trivia_dataset> parse_triviaqa(std::string_view text, std::string_view path, const trivia_read_options& options);

// Maps the file and parses it; not_found when it cannot be opened.
result<trivia_dataset> read_triviaqa(const std::string& path, const trivia_read_options& options);

}  // namespace kick::retrieval
