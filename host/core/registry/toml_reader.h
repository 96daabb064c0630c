// Strict reading of TOML tables: typed access with messages that name the file and key, and
// rejection of unknown keys with "did you mean".
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "kick/status.h"

namespace kick {

// Parses a TOML file; a syntax error names the file, line and column.
result<toml::table> parse_toml_file(const std::filesystem::path& file);

// A view of one table of a file: `path` is its dotted location ("plugin", "params.threads").
class toml_section {
 public:
  toml_section(const toml::table& table, std::filesystem::path file, std::string path)
      : table_(&table), file_(std::move(file)), path_(std::move(path)) {}

  const toml::table& table() const { return *table_; }
  const std::filesystem::path& file() const { return file_; }
  // "<file>: <path>.<key>" (or "<file>: <key>" at the top level).
  std::string where(std::string_view key) const;

  // Fails on the first key not in `allowed`.
  status allow_only(std::initializer_list<std::string_view> allowed) const;

  result<std::string> required_string(std::string_view key) const;
  result<std::optional<std::string>> optional_string(std::string_view key) const;
  result<std::int64_t> required_int(std::string_view key) const;
  result<std::optional<std::int64_t>> optional_int(std::string_view key) const;
  result<std::optional<bool>> optional_bool(std::string_view key) const;
  result<std::vector<std::string>> optional_string_array(std::string_view key) const;
  // A sub-table; not_found / invalid_argument when required and absent or not a table.
  result<std::optional<toml_section>> optional_table(std::string_view key) const;

 private:
  const toml::table* table_;
  std::filesystem::path file_;
  std::string path_;
};

// The TOML type name of a node, for messages: "string", "integer", "table", ...
std::string_view toml_type_name(const toml::node& node);

}  // namespace kick
