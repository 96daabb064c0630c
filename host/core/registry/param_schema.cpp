#include "core/registry/param_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/registry/toml_reader.h"
#include "core/util/did_you_mean.h"

namespace kick {

std::string to_display(const param_value& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const std::int64_t* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  return fmt::format("\"{}\"", std::get<std::string>(value));
}

namespace {

std::string range_text(const param_spec& spec) {
  if (spec.min && spec.max) return fmt::format("[{}, {}]", *spec.min, *spec.max);
  if (spec.min) return fmt::format(">= {}", *spec.min);
  if (spec.max) return fmt::format("<= {}", *spec.max);
  return "of finite numbers";
}

status check_range(double v, const param_spec& spec, const std::string& where) {
  if (std::isnan(v) || (spec.min && v < *spec.min) || (spec.max && v > *spec.max)) {
    return fail(status_code::out_of_range, fmt::format("{}: {} is outside the allowed range {}", where, v, range_text(spec)));
  }
  return status::success();
}

}  // namespace

result<param_value> param_from_toml(const toml::node& node, const param_spec& spec, const std::string& where,
                                    const std::filesystem::path& base_dir) {
  const auto wrong = [&](std::string_view expected) {
    return fail(status_code::invalid_argument, fmt::format("{}: expected {} for parameter '{}' ({}), got {}", where, expected,
                                                           spec.name, to_string(spec.type), toml_type_name(node)));
  };
  switch (spec.type) {
    case param_type::boolean:
      if (!node.is_boolean()) return wrong("true or false");
      return param_value(node.value<bool>().value_or(false));
    case param_type::integer: {
      if (!node.is_integer()) return wrong("an integer");
      const std::int64_t v = node.value<std::int64_t>().value_or(0);
      if (status s = check_range(static_cast<double>(v), spec, where); !s.ok()) return fail(s);
      return param_value(v);
    }
    case param_type::real: {
      if (!node.is_number()) return wrong("a number");
      const double v = node.is_integer() ? static_cast<double>(node.value<std::int64_t>().value_or(0))
                                         : node.value<double>().value_or(0.0);
      if (status s = check_range(v, spec, where); !s.ok()) return fail(s);
      return param_value(v);
    }
    case param_type::string: {
      if (!node.is_string()) return wrong("a string");
      std::string v = node.value<std::string>().value_or("");
      if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
        return fail(status_code::invalid_argument, fmt::format("{}: '{}' is not one of {}{}", where, v,
                                                               fmt::join(spec.choices, ", "), did_you_mean(v, spec.choices)));
      }
      return param_value(std::move(v));
    }
    case param_type::path: {
      if (!node.is_string()) return wrong("a path string");
      const std::filesystem::path p = node.value<std::string>().value_or("");
      if (p.empty()) return param_value(std::string());
      return param_value((p.is_absolute() ? p : base_dir / p).lexically_normal().string());
    }
  }
  return wrong("a value");
}

result<param_map> resolve_params(const plugin_manifest& manifest, const toml::table& values, const std::string& where,
                                 const std::filesystem::path& base_dir) {
  param_map out;
  const std::vector<std::string> names = manifest.param_names();
  for (auto&& [key, node] : values) {
    const std::string_view k = key.str();
    const param_spec* spec = manifest.find_param(k);
    if (spec == nullptr) {
      const std::string known = names.empty() ? "it takes none" : fmt::format("it takes {}", fmt::join(names, ", "));
      return fail(status_code::invalid_argument, fmt::format("{}: unknown parameter '{}' for {} '{}' ({}){}", where, k,
                                                             manifest.kind, manifest.name, known, did_you_mean(k, names)));
    }
    auto value = param_from_toml(node, *spec, fmt::format("{} {}", where, k), base_dir);
    if (!value) return std::unexpected(value.error());
    out.set(std::string(k), std::move(*value));
  }
  for (const param_spec& spec : manifest.params) {
    if (out.contains(spec.name)) continue;
    if (!spec.default_value) {
      return fail(status_code::invalid_argument, fmt::format("{}: parameter '{}' of {} '{}' has no default and must be set ({})",
                                                             where, spec.name, manifest.kind, manifest.name, spec.help));
    }
    out.set(spec.name, *spec.default_value);
  }
  return out;
}

}  // namespace kick
