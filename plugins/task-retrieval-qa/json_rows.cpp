#include "json_rows.h"

#include <algorithm>

namespace kick::retrieval {
namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string where(std::string_view path, std::string_view location) {
  std::string w = "dataset '";
  w.append(path);
  w.append("'");
  if (!location.empty()) {
    w.append(" ");
    w.append(location);
  }
  return w;
}

status bad(std::string_view path, std::string_view location, std::string_view message) {
  std::string m = where(path, location);
  m.append(": ");
  m.append(message);
  return status(status_code::invalid_argument, std::move(m));
}

std::string numbered(const char* kind, std::int64_t n) {
  std::string s(kind);
  s.append(" ");
  s.append(std::to_string(n));
  return s;
}

status split_lines(std::string_view text, std::size_t begin,
                   const std::function<status(const json_row&)>& visit) {
  std::int64_t line = 0, index = 0;
  std::size_t pos = begin;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    ++line;
    const std::string_view content = text.substr(pos, end - pos);
    pos = end + 1;
    bool blank = true;
    for (char c : content) blank = blank && is_json_space(c);
    if (blank) continue;
    if (status s = visit({index++, line, content, numbered("line", line)}); !s.ok()) return s;
  }
  return status::success();
}

status split_array(std::string_view text, std::size_t pos, std::int64_t line, std::string_view path,
                   const std::function<status(const json_row&)>& visit) {
  const std::size_t n = text.size();
  const auto skip_space = [&] {
    while (pos < n && is_json_space(text[pos])) {
      if (text[pos] == '\n') ++line;
      ++pos;
    }
  };
  ++pos;  // '['
  std::int64_t index = 0;
  bool after_comma = false;
  for (;;) {
    skip_space();
    const std::string location = numbered("row", index + 1);
    if (pos == n) return bad(path, location, "the file ends inside the array (no closing ']')");
    if (text[pos] == ']') {
      if (after_comma) return bad(path, location, "a comma before the closing ']' (no row follows it)");
      ++pos;
      break;
    }
    const std::size_t start = pos;
    const std::int64_t start_line = line;
    int depth = 0;
    bool in_string = false;
    for (; pos < n; ++pos) {
      const char c = text[pos];
      if (c == '\n') ++line;
      if (in_string) {
        if (c == '\\') {
          ++pos;  // the escaped character is never structural
          if (pos < n && text[pos] == '\n') ++line;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      }
    }
    if (pos >= n) return bad(path, location, "the file ends inside the array (no closing ']')");
    if (status s = visit({index++, start_line, text.substr(start, pos - start), location}); !s.ok()) return s;
    after_comma = text[pos] == ',';
    if (text[pos] == '}') return bad(path, location, "unbalanced '}' after the row");
    ++pos;
    if (!after_comma) break;
  }
  skip_space();
  if (pos < n) return bad(path, numbered("line", line), "unexpected text after the array's closing ']'");
  return status::success();
}

}  // namespace

result<json_layout> for_each_json_row(std::string_view text, std::string_view path,
                                      const std::function<status(const json_row&)>& visit) {
  std::size_t pos = 0;
  if (text.starts_with("\xEF\xBB\xBF")) pos = 3;
  const std::size_t begin = pos;
  std::int64_t line = 1;
  while (pos < text.size() && is_json_space(text[pos])) {
    if (text[pos] == '\n') ++line;
    ++pos;
  }
  if (pos == text.size()) return fail(bad(path, "", "the file is empty"));
  if (text[pos] == '[') {
    if (status s = split_array(text, pos, line, path, visit); !s.ok()) return fail(s);
    return json_layout::array;
  }
  if (text[pos] == '{') {
    if (status s = split_lines(text, begin, visit); !s.ok()) return fail(s);
    return json_layout::lines;
  }
  return fail(bad(path, numbered("line", line),
                  "expected a JSON array of rows ('[') or JSON Lines of objects ('{') as the first character"));
}

}  // namespace kick::retrieval
