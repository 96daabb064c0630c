// FreebaseQA as published (FreebaseQA-{train,dev,eval}.json): one JSON object
//   {"Dataset": ..., "Version": ..., "Questions": [{"Question-ID", "RawQuestion", "ProcessedQuestion",
//     "Parses": [{..., "Answers": [{"AnswersMid", "AnswersName": [alias, ...]}]}]}]}
// Each question becomes one item (RawQuestion, Parses[0].Answers[0].AnswersName), as the released
// LLM-KICK code reads it (research notes llmkick.md §1.2). Fields the task does not use are not checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kick/status.h"

namespace kick::factoid {

struct factoid_item {
  std::optional<std::string> question_id;  // "Question-ID" when the question has one
  std::string question;                    // "RawQuestion"
  std::vector<std::string> aliases;        // Parses[0].Answers[0].AnswersName, never empty
};

struct factoid_dataset {
  std::string name;     // "Dataset", empty when absent
  std::string version;  // "Version", empty when absent
  std::vector<factoid_item> items;  // file order, never empty
};

// Parses the text of a FreebaseQA file; `path` only names the file in errors. Every question is
// checked: a question that is not an object, a missing or non-string RawQuestion, a non-string
// Question-ID, a missing or empty Parses / Answers / AnswersName, or a non-string alias is an
// invalid_argument error "dataset 'PATH' item I (Question-ID 'X'): ..." with I the 0-based index
// into Questions. A file that is not JSON, has no Questions array or no questions is an error too.
result<factoid_dataset> parse_freebase_qa(std::string_view json_text, std::string_view path);

// Reads and parses the file at `path` (not_found when it cannot be opened).
result<factoid_dataset> read_freebase_qa(const std::string& path);

}  // namespace kick::factoid
