// A small RFC 4180 CSV reader for the Hendrycks MMLU files.
//   - fields are separated by ','; a record ends at LF, CRLF or a lone CR outside quotes, or at
//     the end of the file (the last record needs no terminator);
//   - a field that starts with '"' is quoted: it may hold ',', '"' written as '""', CR and LF,
//     and must be followed by ',' or the end of the record (anything else is an error);
//   - a '"' inside an unquoted field is kept as a literal character (as Python's csv and pandas do);
//   - empty lines are skipped (pandas' skip_blank_lines), and a leading UTF-8 byte-order mark too.
// Errors are invalid_argument "dataset 'PATH' line N: ..." where N is the 1-based physical line
// on which the offending record or quoted field starts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kick/status.h"

namespace kick::mc {

struct csv_record {
  std::int64_t line = 0;  // 1-based physical line where the record starts
  std::vector<std::string> fields;
};

// Parses `text`; `path` only names the file in errors.
result<std::vector<csv_record>> parse_csv(std::string_view text, std::string_view path);

// Reads the file at `path` (not_found when it cannot be opened) and parses it.
result<std::vector<csv_record>> read_csv_file(const std::string& path);

}  // namespace kick::mc
