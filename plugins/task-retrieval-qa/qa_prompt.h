// Prompts and answer extraction of LLM-KICK's in-context retrieval QA (main_icrqa.py; research
// notes llmkick.md §1.4). These strings are a contract: kickworld is trained on them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kick/status.h"

namespace kick::retrieval {

enum class book { closed, open };

// The part of the prompt after the evidence (the code's `prompt_end`):
//   closed: "Answer these questions:\n\nQ: {question}\nA:"
//   open:   "Based on these texts, answer these questions:\n\nQ: {question}\nA:"
std::string question_block(book b, std::string_view question);

struct built_prompt {
  std::string text;            // what the model is given
  std::string question_block;  // question_block(b, question)
  bool evidence_truncated = false;
};

// f"{evidence[:max_evidence_chars]}\n\n{question_block}".strip(), with the evidence cut in code
// points; a closed-book prompt has no evidence, so it is the question block alone.
built_prompt build_prompt(book b, std::string_view question, std::string_view evidence, std::size_t max_evidence_chars);

// The prompt as recorded in a sample: the same, but with the evidence shown as its first
// k_record_evidence_chars code points followed by "..." when longer.
inline constexpr std::size_t k_record_evidence_chars = 200;
std::string record_prompt(book b, std::string_view question, std::string_view evidence, std::size_t max_evidence_chars);

// Protocol "kick": the first line of the generated text, stripped.
std::string first_line_prediction(std::string_view generated);

// Protocol "llm-kick-code": decoded.split(question_block)[1].strip().split("\n")[0], where
// `decoded` is the decoding of prompt and generated tokens together. invalid_argument when the
// question block does not occur in `decoded` (the released code raises IndexError there).
result<std::string> code_prediction(std::string_view decoded, std::string_view question_block);

}  // namespace kick::retrieval
