// Python 3 string semantics on UTF-8 text, shared by the task plugins (static library
// kick_task_text): the released evaluation scripts the tasks reproduce work on Python str, kick
// works on UTF-8 bytes. Unicode facts (lower-case mappings, \w, Cased, Case_Ignorable) come from
// unicode_tables.cpp, generated from Python 3.11 / Unicode 14 by gen_unicode_tables.py.
//
// Ill-formed UTF-8 (a model may stop inside a character) is read as Python's
// bytes.decode("utf-8", errors="replace") reads it: each maximal subpart of an ill-formed
// sequence becomes one U+FFFD. lower_utf8 is the one exception: it leaves such bytes untouched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kick::text {

// bytes.decode("utf-8", errors="replace").
std::u32string decode_utf8(std::string_view text);
// str.encode("utf-8"); a surrogate or a value above U+10FFFF is written as U+FFFD.
std::string encode_utf8(std::u32string_view text);

bool is_python_space(char32_t c);  // str.isspace()
bool is_word_char(char32_t c);     // re's \w on str
char32_t simple_lowercase(char32_t c);  // the one-code-point lower-case mapping, or c

// str.lower(): simple mappings, U+0130 -> "i\u0307", and the final-sigma rule.
std::u32string python_lower(std::u32string_view text);

// str.lower() on the well-formed parts of UTF-8 text; bytes that are not part of a well-formed
// sequence are copied unchanged (and stand, for the final-sigma rule, where Python would see
// U+FFFD). On valid UTF-8 this is encode_utf8(python_lower(decode_utf8(text))).
std::string lower_utf8(std::string_view text);

// str.strip() with no argument: Unicode whitespace off both ends.
std::string python_strip(std::string_view text);

// str.split() with no argument: runs of Unicode whitespace separate words; no empty words.
std::vector<std::string> python_split(std::string_view text);

// text[:n_chars] in code points (never cuts a UTF-8 sequence); `truncated` tells whether
// anything was cut.
std::string truncate_chars(std::string_view text, std::size_t n_chars, bool* truncated = nullptr);

// len(text) in code points: the bytes that are not UTF-8 continuation bytes (on valid UTF-8, one
// per code point).
std::size_t count_chars(std::string_view text);

}  // namespace kick::text
