// MMLU in the Hendrycks layout: a directory <root> holding dev/, test/ (and val/) with files
// <subject>_dev.csv, <subject>_test.csv, <subject>_val.csv. No header; each row has exactly six
// fields: question, A, B, C, D, answer letter (exactly "A", "B", "C" or "D").
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kick/status.h"

namespace kick::mc {

struct mc_question {
  std::int64_t line = 0;  // 1-based line where the row starts in its file
  std::string question;
  std::array<std::string, 4> choices;
  int answer = 0;  // 0..3 for A..D
};

// How cells become prompt text: verbatim (protocol kick) or as pandas shows them (llm-kick-code,
// see pandas_cells.h).
enum class cell_style { verbatim, pandas };

// <root>/<split>/<subject>_<split>.csv
std::filesystem::path split_file(const std::filesystem::path& root, std::string_view split, std::string_view subject);

// The stems of <root>/<split>/*_<split>.csv in byte order (as Python's sorted()). Errors when
// <root> or <root>/<split> is not a directory or holds no such file.
result<std::vector<std::string>> list_subjects(const std::filesystem::path& root, std::string_view split);

// Keeps the subjects named in the comma-separated `selection` (spaces around names ignored;
// empty = all), in the order of `available`. A name not available is an invalid_argument error.
result<std::vector<std::string>> select_subjects(const std::vector<std::string>& available, std::string_view selection,
                                                 std::string_view where);

// Reads one Hendrycks CSV. A row with other than six fields, an answer that is not A-D, a CSV
// syntax error or a file without rows is an invalid_argument error naming the file and line.
result<std::vector<mc_question>> read_questions(const std::string& path, cell_style style);

}  // namespace kick::mc
