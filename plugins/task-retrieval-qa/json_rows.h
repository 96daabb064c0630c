// Splits a dataset file into its rows without parsing it whole: either one JSON array of rows
// or JSON Lines (one row per line), told apart by the first non-space character ('[' or '{').
// Only the bracket structure is scanned here; each row's text is parsed by the caller, so a
// multi-gigabyte export never becomes one JSON document in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kick/status.h"

namespace kick::retrieval {

enum class json_layout { array, lines };

struct json_row {
  std::int64_t index = 0;  // 0-based position among the rows (blank lines are not rows)
  std::int64_t line = 0;   // 1-based line where the row starts
  std::string_view text;   // the row's JSON text (not yet validated)
  std::string location;    // "row N" (array, counted from 1) or "line N" (JSON Lines), for messages
};

// Calls `visit` for every row in file order and stops at the first failure, its own or
// visit's. Its own failures are invalid_argument and read "dataset '<path>' <location>: ...".
// A leading UTF-8 byte-order mark is skipped. Blank lines of a JSON Lines file are skipped.
result<json_layout> for_each_json_row(std::string_view text, std::string_view path,
                                      const std::function<status(const json_row&)>& visit);

}  // namespace kick::retrieval
