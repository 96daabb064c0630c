#include "text_normalize.h"

#include <algorithm>

#include "python_text.h"

namespace kick::retrieval {
namespace {

// string.punctuation plus the four characters the official script adds (` is already ASCII).
bool is_trivia_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  return c == 0x2018 || c == 0x2019 || c == 0xB4;
}

// Whether an article (a, an, the) starts at `i` with word boundaries on both sides; returns its
// length, or 0.
std::size_t article_at(std::u32string_view s, std::size_t i) {
  if (i > 0 && text::is_word_char(s[i - 1])) return 0;
  for (std::u32string_view word : {std::u32string_view(U"a"), std::u32string_view(U"an"), std::u32string_view(U"the")}) {
    if (s.substr(i, word.size()) != word) continue;
    const std::size_t end = i + word.size();
    if (end == s.size() || !text::is_word_char(s[end])) return word.size();
  }
  return 0;
}

}  // namespace

std::string normalize_answer(std::string_view answer) {
  std::u32string s = text::decode_utf8(answer);
  std::replace(s.begin(), s.end(), U'_', U' ');
  s = text::python_lower(s);
  for (char32_t& c : s) {
    if (is_trivia_punctuation(c)) c = U' ';
  }
  std::u32string without_articles;
  without_articles.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (const std::size_t n = article_at(s, i); n > 0) {
      without_articles.push_back(U' ');
      i += n;
    } else {
      without_articles.push_back(s[i++]);
    }
  }
  std::string out;
  for (const std::string& word : text::python_split(text::encode_utf8(without_articles))) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

}  // namespace kick::retrieval
