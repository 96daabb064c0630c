// TriviaQA's official answer normalisation (triviaqa_evaluation.py::normalize_answer, also used
// by LLM-KICK), on UTF-8 text with Python 3's string semantics (kick_task_text's python_text.h):
//   '_' -> ' ', str.lower(), every character of string.punctuation and ‘ ’ ´ ` -> ' ',
//   re.sub(r'\b(a|an|the)\b', ' ', ...) with Unicode word boundaries, ' '.join(s.split()).
// Ill-formed UTF-8 (a model may stop inside a character) decodes to U+FFFD per maximal subpart,
// as Python's errors="replace" does.
#pragma once

#include <string>
#include <string_view>

namespace kick::retrieval {

std::string normalize_answer(std::string_view text);

}  // namespace kick::retrieval
