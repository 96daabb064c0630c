#include "mmlu_dataset.h"

#include <algorithm>

#include "csv_reader.h"
#include "pandas_cells.h"
#include "text_util.h"

namespace kick::mc {

namespace {

constexpr std::size_t k_n_columns = 6;

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string joined(const std::vector<std::string>& names, std::size_t max_names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < max_names; ++i) {
    if (i > 0) out.append(", ");
    out.append(names[i]);
  }
  if (names.size() > max_names) out.append(concat(", ... (", std::to_string(names.size()), " in all)"));
  return out;
}

}  // namespace

std::filesystem::path split_file(const std::filesystem::path& root, std::string_view split, std::string_view subject) {
  return root / std::string(split) / concat(subject, "_", split, ".csv");
}

result<std::vector<std::string>> list_subjects(const std::filesystem::path& root, std::string_view split) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    return fail(status_code::invalid_argument,
                concat("dataset '", root.string(), "' is not a directory (expected the Hendrycks layout: dev/, test/ with <subject>_test.csv)"));
  }
  const std::filesystem::path dir = root / std::string(split);
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(status_code::not_found, concat("dataset '", root.string(), "' has no ", split, "/ directory"));
  }
  const std::string suffix = concat("_", split, ".csv");
  std::vector<std::string> subjects;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix) && entry.is_regular_file(ec)) {
      subjects.push_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  if (ec) return fail(status_code::unavailable, concat("dataset '", dir.string(), "': cannot list: ", ec.message()));
  if (subjects.empty()) return fail(status_code::not_found, concat("dataset '", dir.string(), "' holds no *", suffix, " file"));
  std::sort(subjects.begin(), subjects.end());
  return subjects;
}

result<std::vector<std::string>> select_subjects(const std::vector<std::string>& available, std::string_view selection,
                                                 std::string_view where) {
  if (trim_spaces(selection).empty()) return available;
  std::vector<std::string> wanted;
  while (true) {
    const std::size_t comma = selection.find(',');
    const std::string_view name = trim_spaces(selection.substr(0, comma));
    if (name.empty()) {
      return fail(status_code::invalid_argument, concat("parameter 'subjects': empty name in the comma-separated list"));
    }
    if (std::find(available.begin(), available.end(), name) == available.end()) {
      return fail(status_code::invalid_argument, concat("parameter 'subjects': '", name, "' is not a subject of dataset '", where,
                                                        "' (it has ", joined(available, 8), ")"));
    }
    wanted.emplace_back(name);
    if (comma == std::string_view::npos) break;
    selection.remove_prefix(comma + 1);
  }
  std::vector<std::string> out;
  for (const std::string& s : available) {
    if (std::find(wanted.begin(), wanted.end(), s) != wanted.end()) out.push_back(s);
  }
  return out;
}

result<std::vector<mc_question>> read_questions(const std::string& path, cell_style style) {
  auto records = read_csv_file(path);
  if (!records) return std::unexpected(records.error());
  if (records->empty()) return fail(status_code::invalid_argument, concat("dataset '", path, "': no rows"));
  std::vector<int> answers;
  answers.reserve(records->size());
  for (const csv_record& r : *records) {
    const std::string where = concat("dataset '", path, "' line ", std::to_string(r.line), ": ");
    if (r.fields.size() != k_n_columns) {
      return fail(status_code::invalid_argument, concat(where, "expected 6 fields (question, A, B, C, D, answer), got ",
                                                        std::to_string(r.fields.size())));
    }
    const std::string& a = r.fields[5];
    if (a.size() != 1 || a[0] < 'A' || a[0] > 'D') {
      std::string shown = a.substr(0, 40);
      return fail(status_code::invalid_argument, concat(where, "answer '", shown, "' is not one of A, B, C, D"));
    }
    answers.push_back(a[0] - 'A');
  }
  if (style == cell_style::pandas) render_like_pandas(*records, k_n_columns);
  std::vector<mc_question> out;
  out.reserve(records->size());
  for (std::size_t i = 0; i < records->size(); ++i) {
    csv_record& r = (*records)[i];
    mc_question q;
    q.line = r.line;
    q.question = std::move(r.fields[0]);
    for (std::size_t c = 0; c < 4; ++c) q.choices[c] = std::move(r.fields[c + 1]);
    q.answer = answers[i];
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace kick::mc
