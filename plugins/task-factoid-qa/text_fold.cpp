#include "text_fold.h"

#include <cstdint>

namespace kick::factoid {
namespace {

// Lower-case code point for the ranges lower_utf8 covers; `c` itself elsewhere.
char32_t lower_code_point(char32_t c) {
  const auto even_to_next = [](char32_t v) { return v % 2 == 0 ? v + 1 : v; };
  const auto odd_to_next = [](char32_t v) { return v % 2 == 1 ? v + 1 : v; };
  if (c >= U'A' && c <= U'Z') return c + 32;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 32;                     // Latin-1 capitals, not ×
  if (c >= 0x100 && c <= 0x12F) return even_to_next(c);            // Ā..į
  if (c >= 0x132 && c <= 0x137) return even_to_next(c);            // Ĳ..ķ
  if (c >= 0x139 && c <= 0x148) return odd_to_next(c);             // Ĺ..ň
  if (c >= 0x14A && c <= 0x177) return even_to_next(c);            // Ŋ..ŷ
  if (c == 0x178) return 0xFF;                                     // Ÿ
  if (c >= 0x179 && c <= 0x17E) return odd_to_next(c);             // Ź..ž
  if (c == 0x386) return 0x3AC;                                    // Ά
  if (c >= 0x388 && c <= 0x38A) return c + 37;                     // Έ Ή Ί
  if (c == 0x38C) return 0x3CC;                                    // Ό
  if (c == 0x38E || c == 0x38F) return c + 63;                     // Ύ Ώ
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;       // Α..Ϋ
  if (c >= 0x400 && c <= 0x40F) return c + 80;                     // Ѐ..Џ
  if (c >= 0x410 && c <= 0x42F) return c + 32;                     // А..Я
  if (c >= 0x460 && c <= 0x481) return even_to_next(c);            // Ѡ..ҁ
  if (c >= 0x48A && c <= 0x4BF) return even_to_next(c);            // Ҋ..ҿ
  if (c >= 0x1E00 && c <= 0x1E95) return even_to_next(c);          // Ḁ..ẕ
  if (c >= 0x1EA0 && c <= 0x1EFF) return even_to_next(c);          // Ạ..ỿ
  return c;
}

void append_utf8(std::string& out, char32_t c) {
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

// Decodes one well-formed 2- or 3-byte sequence at text[i] (the only lengths the folded ranges
// use); returns its length, or 0 when the bytes there are anything else.
std::size_t decode_short_sequence(std::string_view text, std::size_t i, char32_t& c) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const auto continuation = [&](std::size_t k) { return k < text.size() && (byte(k) & 0xC0) == 0x80; };
  const std::uint8_t lead = byte(i);
  if (lead >= 0xC2 && lead <= 0xDF && continuation(i + 1)) {
    c = (static_cast<char32_t>(lead & 0x1F) << 6) | (byte(i + 1) & 0x3F);
    return 2;
  }
  if (lead >= 0xE0 && lead <= 0xEF && continuation(i + 1) && continuation(i + 2)) {
    c = (static_cast<char32_t>(lead & 0x0F) << 12) | (static_cast<char32_t>(byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;  // overlong or a surrogate
    return 3;
  }
  return 0;
}

}  // namespace

std::string lower_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lower_code_point(lead)));
      ++i;
      continue;
    }
    char32_t c = 0;
    const std::size_t length = decode_short_sequence(text, i, c);
    if (length == 0) {  // a 4-byte sequence or invalid bytes: nothing to fold, copy the byte
      out.push_back(text[i]);
      ++i;
      continue;
    }
    if (c == 0x130) {
      out.append("i\xCC\x87");  // İ -> i + combining dot above, as Python
    } else {
      append_utf8(out, lower_code_point(c));
    }
    i += length;
  }
  return out;
}

std::string_view strip_ascii_whitespace(std::string_view text) {
  const auto is_space = [](char ch) {
    return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= '\x1c' && ch <= '\x1f');
  };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace kick::factoid
