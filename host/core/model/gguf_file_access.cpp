// gguf_file lookups and typed metadata access.
#include <fmt/format.h>

#include <limits>

#include "core/model/gguf_file.h"
#include "core/model/gguf_value_types.h"

namespace kick {

using detail::is_float;
using detail::is_integer;
using detail::is_signed;
using detail::scalar_as_double;
using detail::type_name;

const gguf_value* gguf_file::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const gguf_tensor_info* gguf_file::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

namespace {
failure missing(const std::filesystem::path& path, std::string_view key) {
  return fail(status_code::not_found, fmt::format("{}: missing metadata key '{}'", path.string(), key));
}
failure wrong_type(const std::filesystem::path& path, std::string_view key, const gguf_value& v,
                   std::string_view expected) {
  std::string actual = type_name(v.type);
  if (v.type == gguf_type::array) actual = fmt::format("array of {}", type_name(v.array_type));
  return fail(status_code::invalid_argument,
              fmt::format("{}: metadata key '{}' is {}, expected {}", path.string(), key, actual, expected));
}
}  // namespace

result<std::int64_t> gguf_file::get_int(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return missing(path(), key);
  if (!is_integer(v->type)) return wrong_type(path(), key, *v, "an integer");
  if (is_signed(v->type)) return v->i;
  if (v->u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(status_code::out_of_range,
                fmt::format("{}: metadata key '{}' = {} exceeds the int64 range", path().string(), key, v->u));
  }
  return static_cast<std::int64_t>(v->u);
}

result<double> gguf_file::get_float(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return missing(path(), key);
  if (!is_integer(v->type) && !is_float(v->type)) return wrong_type(path(), key, *v, "a number");
  return scalar_as_double(v->type, *v);
}

result<std::string> gguf_file::get_string(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return missing(path(), key);
  if (v->type != gguf_type::string) return wrong_type(path(), key, *v, "a string");
  return std::string(v->s);
}

result<std::vector<std::string_view>> gguf_file::get_string_array(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return missing(path(), key);
  if (v->type != gguf_type::array || v->array_type != gguf_type::string) {
    return wrong_type(path(), key, *v, "an array of string");
  }
  return v->array_strings;
}

result<std::vector<double>> gguf_file::get_number_array(std::string_view key) const {
  const gguf_value* v = find(key);
  if (v == nullptr) return missing(path(), key);
  if (v->type != gguf_type::array || v->array_type == gguf_type::string) {
    return wrong_type(path(), key, *v, "an array of numbers");
  }
  return v->array_numbers;
}

}  // namespace kick
