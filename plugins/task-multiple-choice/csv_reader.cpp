#include "csv_reader.h"

#include "text_util.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kick::mc {

namespace {

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";
// Larger files are refused rather than read into memory (all of MMLU's test split is ~8 MB).
constexpr std::uintmax_t k_max_file_bytes = std::uintmax_t{1} << 30;

failure error_at(std::string_view path, std::int64_t line, std::string_view what) {
  return fail(status_code::invalid_argument, concat("dataset '", path, "' line ", std::to_string(line), ": ", what));
}

}  // namespace

result<std::vector<csv_record>> parse_csv(std::string_view text, std::string_view path) {
  if (text.starts_with(k_utf8_bom)) text.remove_prefix(k_utf8_bom.size());
  std::vector<csv_record> records;
  std::int64_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  // Consumes one record terminator at text[i] (CR, LF or CRLF) and counts the line.
  const auto take_newline = [&] {
    if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
    ++i;
    ++line;
  };
  const auto is_newline = [](char c) { return c == '\n' || c == '\r'; };
  while (i < n) {
    if (is_newline(text[i])) {  // an empty line
      take_newline();
      continue;
    }
    csv_record record;
    record.line = line;
    while (true) {  // one field per iteration
      std::string field;
      if (i < n && text[i] == '"') {
        const std::int64_t quote_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n' || (c == '\r' && !(i + 1 < n && text[i + 1] == '\n'))) ++line;
          field.push_back(c);
          ++i;
        }
        if (!closed) return error_at(path, quote_line, "quoted field is never closed (missing '\"')");
        if (i < n && text[i] != ',' && !is_newline(text[i])) {
          return error_at(path, line, "unexpected character after a closing quote (write '\"\"' for a quote inside a quoted field)");
        }
      } else {
        while (i < n && text[i] != ',' && !is_newline(text[i])) field.push_back(text[i++]);
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of record or of text
    }
    records.push_back(std::move(record));
    if (i < n) take_newline();
  }
  return records;
}

result<std::vector<csv_record>> read_csv_file(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size_bytes = std::filesystem::file_size(path, ec);
  if (ec) return fail(status_code::not_found, concat("dataset '", path, "': cannot open (", ec.message(), ")"));
  if (size_bytes > k_max_file_bytes) {
    return fail(status_code::invalid_argument, concat("dataset '", path, "': ", std::to_string(size_bytes),
                                                      " bytes, more than the 1 GiB a csv file may have"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(status_code::not_found, concat("dataset '", path, "': cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

}  // namespace kick::mc
