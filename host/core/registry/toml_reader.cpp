#include "core/registry/toml_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/util/did_you_mean.h"

namespace kick {

result<toml::table> parse_toml_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return fail(status_code::not_found, fmt::format("{}: file not found", file.string()));
  if (std::filesystem::is_directory(file, ec)) {
    return fail(status_code::invalid_argument, fmt::format("{}: is a directory, expected a TOML file", file.string()));
  }
  try {
    return toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return fail(status_code::invalid_argument,
                fmt::format("{}:{}:{}: TOML syntax error: {}", file.string(), begin.line, begin.column, e.description()));
  }
}

std::string_view toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

std::string toml_section::where(std::string_view key) const {
  if (path_.empty()) return fmt::format("{}: {}", file_.string(), key);
  if (key.empty()) return fmt::format("{}: [{}]", file_.string(), path_);
  return fmt::format("{}: {}.{}", file_.string(), path_, key);
}

status toml_section::allow_only(std::initializer_list<std::string_view> allowed) const {
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (auto&& [key, value] : *table_) {
    const std::string_view k = key.str();
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: unknown key{}", where(k), did_you_mean(k, names)));
    }
  }
  return status::success();
}

namespace {
status wrong_type(const toml_section& s, std::string_view key, std::string_view expected, const toml::node& node) {
  return fail(status_code::invalid_argument,
              fmt::format("{}: expected {}, got {}", s.where(key), expected, toml_type_name(node)));
}
}  // namespace

result<std::optional<std::string>> toml_section::optional_string(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) return std::optional<std::string>{};
  if (!node->is_string()) return std::unexpected(wrong_type(*this, key, "a string", *node));
  return std::optional<std::string>(node->value<std::string>().value_or(""));
}

result<std::string> toml_section::required_string(std::string_view key) const {
  auto v = optional_string(key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return fail(status_code::invalid_argument, fmt::format("{}: required key is missing", where(key)));
  return **v;
}

result<std::optional<std::int64_t>> toml_section::optional_int(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) return std::optional<std::int64_t>{};
  if (!node->is_integer()) return std::unexpected(wrong_type(*this, key, "an integer", *node));
  return std::optional<std::int64_t>(node->value<std::int64_t>().value_or(0));
}

result<std::int64_t> toml_section::required_int(std::string_view key) const {
  auto v = optional_int(key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return fail(status_code::invalid_argument, fmt::format("{}: required key is missing", where(key)));
  return **v;
}

result<std::optional<bool>> toml_section::optional_bool(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) return std::optional<bool>{};
  if (!node->is_boolean()) return std::unexpected(wrong_type(*this, key, "a boolean", *node));
  return std::optional<bool>(node->value<bool>().value_or(false));
}

result<std::vector<std::string>> toml_section::optional_string_array(std::string_view key) const {
  std::vector<std::string> out;
  const toml::node* node = table_->get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) return std::unexpected(wrong_type(*this, key, "an array of strings", *node));
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_string()) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}[{}]: expected a string, got {}", where(key), i, toml_type_name(item)));
    }
    out.push_back(item.value<std::string>().value_or(""));
  }
  return out;
}

result<std::optional<toml_section>> toml_section::optional_table(std::string_view key) const {
  const toml::node* node = table_->get(key);
  if (node == nullptr) return std::optional<toml_section>{};
  const toml::table* t = node->as_table();
  if (t == nullptr) return std::unexpected(wrong_type(*this, key, "a table", *node));
  std::string sub = path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  return std::optional<toml_section>(toml_section(*t, file_, std::move(sub)));
}

}  // namespace kick
