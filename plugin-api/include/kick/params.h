// kick plugin API: typed parameters.
// The host validates every value against the plugin manifest's [params.*] table (type, range,
// choices) and fills in defaults before a plugin sees the map, so a plugin may rely on every
// declared parameter being present with its declared type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "kick/status.h"

namespace kick {

enum class param_type : int { boolean, integer, real, string, path };

constexpr const char* to_string(param_type t) {
  switch (t) {
    case param_type::boolean: return "bool";
    case param_type::integer: return "int";
    case param_type::real: return "float";
    case param_type::string: return "string";
    case param_type::path: return "path";
  }
  return "unknown";
}

// A path is held as a string (already resolved by the host).
using param_value = std::variant<bool, std::int64_t, double, std::string>;

class param_map {
 public:
  void set(std::string name, param_value value) { values_[std::move(name)] = std::move(value); }
  bool contains(std::string_view name) const { return values_.find(name) != values_.end(); }
  const std::map<std::string, param_value, std::less<>>& items() const { return values_; }

  result<bool> get_bool(std::string_view name) const { return get<bool>(name, "bool"); }
  result<std::int64_t> get_int(std::string_view name) const { return get<std::int64_t>(name, "int"); }
  result<std::string> get_string(std::string_view name) const { return get<std::string>(name, "string"); }
  // An integer value is accepted where a float is asked for.
  result<double> get_float(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fail(status_code::not_found, "no parameter '" + std::string(name) + "'");
    if (auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&it->second)) return *d;
    return fail(status_code::invalid_argument, "parameter '" + std::string(name) + "' is not a float");
  }

 private:
  template <class T>
  result<T> get(std::string_view name, const char* type_name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fail(status_code::not_found, "no parameter '" + std::string(name) + "'");
    if (auto* v = std::get_if<T>(&it->second)) return *v;
    return fail(status_code::invalid_argument,
                "parameter '" + std::string(name) + "' is not a " + type_name);
  }

  std::map<std::string, param_value, std::less<>> values_;
};

}  // namespace kick
