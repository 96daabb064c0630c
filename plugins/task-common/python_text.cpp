#include "python_text.h"

#include <algorithm>
#include <cstdint>
#include <span>

#include "unicode_tables.h"

namespace kick::text {
namespace {

constexpr char32_t k_replacement = 0xFFFD;
constexpr char32_t k_capital_sigma = 0x3A3;
constexpr char32_t k_small_sigma = 0x3C3;
constexpr char32_t k_final_sigma = 0x3C2;

bool in_ranges(std::span<const tables::code_range> ranges, char32_t c) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](char32_t v, const tables::code_range& r) { return v < r.first; });
  if (it == ranges.begin()) return false;
  --it;
  return c <= it->last;
}

bool is_cased(char32_t c) { return in_ranges({tables::k_cased, tables::k_cased_size}, c); }
bool is_case_ignorable(char32_t c) {
  return in_ranges({tables::k_case_ignorable, tables::k_case_ignorable_size}, c);
}

// One decoded unit of UTF-8: a well-formed sequence (`valid`, `cp` its code point) or the maximal
// subpart of an ill-formed one, which Python's errors="replace" turns into one U+FFFD.
struct utf8_unit {
  char32_t cp = k_replacement;
  std::size_t n_bytes = 1;
  bool valid = false;
};

// The unit starting at text[i], i < text.size(); n_bytes >= 1 and never runs past the end.
utf8_unit decode_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t n_continuation = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n_continuation = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n_continuation = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n_continuation = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return {};
  }
  std::size_t k = 1;
  for (; k <= n_continuation; ++k) {
    if (i + k >= text.size()) break;
    const unsigned char b = byte(i + k);
    const unsigned char lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xBF;
    if (b < lo || b > hi) break;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (k <= n_continuation) return {k_replacement, k, false};  // the maximal valid prefix
  return {cp, n_continuation + 1, true};
}

void append_utf8(std::string& out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) c = k_replacement;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// CPython's handle_capital_sigma: final when a cased letter precedes (skipping case-ignorable
// characters) and none follows.
char32_t lower_sigma(std::u32string_view text, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return k_small_sigma;
  std::size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return (k == text.size() || !is_cased(text[k])) ? k_final_sigma : k_small_sigma;
}

// Appends str.lower() of text[i], which depends on its neighbours only for capital sigma.
void append_lower(std::u32string_view text, std::size_t i, std::u32string& out) {
  const char32_t c = text[i];
  if (c == k_capital_sigma) {
    out.push_back(lower_sigma(text, i));
  } else if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: the one multi-character mapping
    out.push_back(U'i');
    out.push_back(0x307);
  } else {
    out.push_back(simple_lowercase(c));
  }
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const utf8_unit u = decode_at(text, i);
    out.push_back(u.cp);
    i += u.n_bytes;
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_python_space(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return in_ranges({tables::k_word, tables::k_word_size}, c);
}

char32_t simple_lowercase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const std::span<const tables::case_range> ranges(tables::k_lowercase, tables::k_lowercase_size);
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](char32_t v, const tables::case_range& r) { return v < r.first; });
  if (it == ranges.begin()) return c;
  --it;
  if (c > it->last || (c - it->first) % it->stride != 0) return c;
  return static_cast<char32_t>(static_cast<std::int64_t>(c) + it->delta);
}

std::u32string python_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) append_lower(text, i, out);
  return out;
}

std::string lower_utf8(std::string_view text) {
  std::u32string cps;  // as Python sees the text, for the final-sigma context
  std::vector<utf8_unit> units;
  cps.reserve(text.size());
  units.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    units.push_back(decode_at(text, i));
    cps.push_back(units.back().cp);
    i += units.back().n_bytes;
  }
  std::string out;
  out.reserve(text.size());
  std::u32string lowered;
  std::size_t offset = 0;
  for (std::size_t k = 0; k < units.size(); ++k) {
    if (units[k].valid) {
      lowered.clear();
      append_lower(cps, k, lowered);
      for (char32_t c : lowered) append_utf8(out, c);
    } else {
      out.append(text.substr(offset, units[k].n_bytes));
    }
    offset += units[k].n_bytes;
  }
  return out;
}

std::string python_strip(std::string_view text) {
  const std::u32string cps = decode_utf8(text);
  std::size_t begin = 0, end = cps.size();
  while (begin < end && is_python_space(cps[begin])) ++begin;
  while (end > begin && is_python_space(cps[end - 1])) --end;
  return encode_utf8(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> python_split(std::string_view text) {
  const std::u32string cps = decode_utf8(text);
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < cps.size()) {
    while (i < cps.size() && is_python_space(cps[i])) ++i;
    const std::size_t start = i;
    while (i < cps.size() && !is_python_space(cps[i])) ++i;
    if (i > start) words.push_back(encode_utf8(std::u32string_view(cps).substr(start, i - start)));
  }
  return words;
}

std::size_t count_chars(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char b) { return (static_cast<unsigned char>(b) & 0xC0) != 0x80; }));
}

std::string truncate_chars(std::string_view text, std::size_t n_chars, bool* truncated) {
  std::size_t n_seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (n_seen == n_chars) {
      if (truncated != nullptr) *truncated = true;
      return std::string(text.substr(0, i));
    }
    ++n_seen;
  }
  if (truncated != nullptr) *truncated = false;
  return std::string(text);
}

}  // namespace kick::text
