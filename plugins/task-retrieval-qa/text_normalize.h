// TriviaQA's official answer normalisation (triviaqa_evaluation.py::normalize_answer, also used
// by LLM-KICK), on UTF-8 text with Python 3's string semantics:
//   '_' -> ' ', str.lower(), every character of string.punctuation and ‘ ’ ´ ` -> ' ',
//   re.sub(r'\b(a|an|the)\b', ' ', ...) with Unicode word boundaries, ' '.join(s.split()).
// Ill-formed UTF-8 (a model may stop inside a character) decodes to U+FFFD per maximal subpart,
// as Python's errors="replace" does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kick::retrieval {

std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

bool is_python_space(char32_t c);  // str.isspace()
bool is_word_char(char32_t c);     // re's \w on str
char32_t simple_lowercase(char32_t c);

// Python's str.lower(): simple mappings, U+0130 -> "i\u0307", and the final-sigma rule.
std::u32string python_lower(std::u32string_view text);

// str.strip() with no argument: Unicode whitespace off both ends.
std::string python_strip(std::string_view text);

// str.split() with no argument: runs of Unicode whitespace separate words; no empty words.
std::vector<std::string> python_split(std::string_view text);

// text[:n_chars] in code points (never cuts a UTF-8 sequence); `truncated` tells whether
// anything was cut.
std::string truncate_chars(std::string_view text, std::size_t n_chars, bool* truncated = nullptr);

// The number of code points of `text`.
std::size_t count_chars(std::string_view text);

std::string normalize_answer(std::string_view text);

}  // namespace kick::retrieval
