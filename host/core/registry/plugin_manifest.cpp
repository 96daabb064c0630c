#include "core/registry/plugin_manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <regex>

#include "core/registry/param_schema.h"
#include "core/registry/toml_reader.h"
#include "core/util/did_you_mean.h"
#include "kick/abi.h"

namespace kick {

const param_spec* plugin_manifest::find_param(std::string_view param_name) const {
  for (const param_spec& p : params) {
    if (p.name == param_name) return &p;
  }
  return nullptr;
}

std::vector<std::string> plugin_manifest::param_names() const {
  std::vector<std::string> names;
  for (const param_spec& p : params) names.push_back(p.name);
  return names;
}

namespace {

// Plugin and parameter names: lowercase letters, digits, '-' and '_', starting with a letter.
bool is_valid_name(std::string_view name) {
  static const std::regex pattern("[a-z][a-z0-9_-]*");
  return std::regex_match(name.begin(), name.end(), pattern);
}

result<param_type> parse_param_type(const toml_section& s, std::string_view value) {
  static const std::vector<std::string> names = {"bool", "int", "float", "string", "path"};
  if (value == "bool") return param_type::boolean;
  if (value == "int") return param_type::integer;
  if (value == "float") return param_type::real;
  if (value == "string") return param_type::string;
  if (value == "path") return param_type::path;
  return fail(status_code::invalid_argument, fmt::format("{}: unknown type '{}', expected one of bool, int, float, "
                                                         "string, path{}",
                                                         s.where("type"), value, did_you_mean(value, names)));
}

result<std::optional<double>> optional_number(const toml_section& s, std::string_view key) {
  const toml::node* node = s.table().get(key);
  if (node == nullptr) return std::optional<double>{};
  if (node->is_integer()) return std::optional<double>(static_cast<double>(node->value<std::int64_t>().value_or(0)));
  if (node->is_floating_point()) return std::optional<double>(node->value<double>().value_or(0.0));
  return fail(status_code::invalid_argument,
              fmt::format("{}: expected a number, got {}", s.where(key), toml_type_name(*node)));
}

result<param_spec> parse_param(const toml_section& s, std::string name) {
  if (status st = s.allow_only({"type", "default", "min", "max", "choices", "help"}); !st.ok()) return fail(st);
  if (!is_valid_name(name)) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: parameter name must match [a-z][a-z0-9_-]*", s.where("")));
  }
  param_spec spec;
  spec.name = std::move(name);
  auto type = s.required_string("type");
  if (!type) return std::unexpected(type.error());
  auto parsed_type = parse_param_type(s, *type);
  if (!parsed_type) return std::unexpected(parsed_type.error());
  spec.type = *parsed_type;
  auto help = s.required_string("help");
  if (!help) return std::unexpected(help.error());
  spec.help = *help;
  auto min = optional_number(s, "min");
  if (!min) return std::unexpected(min.error());
  auto max = optional_number(s, "max");
  if (!max) return std::unexpected(max.error());
  spec.min = *min;
  spec.max = *max;
  const bool numeric = spec.type == param_type::integer || spec.type == param_type::real;
  if ((spec.min || spec.max) && !numeric) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: min/max apply only to int and float parameters", s.where(spec.min ? "min" : "max")));
  }
  if (spec.min && spec.max && *spec.min > *spec.max) {
    return fail(status_code::invalid_argument, fmt::format("{}: min {} is greater than max {}", s.where("min"), *spec.min, *spec.max));
  }
  auto choices = s.optional_string_array("choices");
  if (!choices) return std::unexpected(choices.error());
  spec.choices = std::move(*choices);
  if (!spec.choices.empty() && spec.type != param_type::string) {
    return fail(status_code::invalid_argument, fmt::format("{}: choices apply only to string parameters", s.where("choices")));
  }
  if (const toml::node* d = s.table().get("default")) {
    auto value = param_from_toml(*d, spec, s.where("default"), s.file().parent_path());
    if (!value) return std::unexpected(value.error());
    spec.default_value = std::move(*value);
  }
  return spec;
}

status one_of(const toml_section& s, std::string_view key, const std::optional<std::string>& value,
              std::span<const char* const> accepted) {
  if (!value) return status::success();
  const std::vector<std::string> known(accepted.begin(), accepted.end());
  if (std::find(known.begin(), known.end(), *value) != known.end()) return status::success();
  return fail(status_code::invalid_argument, fmt::format("{}: '{}' is not one of {}{}", s.where(key), *value,
                                                         fmt::join(known, ", "), did_you_mean(*value, known)));
}

status parse_method_calibration(const toml_section& method_table, plugin_manifest& m) {
  auto table = method_table.optional_table("calibration");
  if (!table) return table.error();
  if (!*table) return status::success();
  const toml_section& s = **table;
  if (status st = s.allow_only({"nsamples", "seqlen", "seed", "sampling", "propagate"}); !st.ok()) return st;
  auto nsamples = s.optional_int("nsamples");
  auto seqlen = s.optional_int("seqlen");
  auto seed = s.optional_int("seed");
  auto sampling = s.optional_string("sampling");
  auto propagate = s.optional_string("propagate");
  if (!nsamples) return nsamples.error();
  if (!seqlen) return seqlen.error();
  if (!seed) return seed.error();
  if (!sampling) return sampling.error();
  if (!propagate) return propagate.error();
  if (*nsamples && **nsamples < 1)
    return fail(status_code::invalid_argument, fmt::format("{}: {} is not a positive count", s.where("nsamples"), **nsamples));
  if (*seqlen && **seqlen < 2)
    return fail(status_code::invalid_argument, fmt::format("{}: {} is below 2 tokens", s.where("seqlen"), **seqlen));
  if (status st = one_of(s, "sampling", *sampling, k_calibration_samplings); !st.ok()) return st;
  if (status st = one_of(s, "propagate", *propagate, k_calibration_propagations); !st.ok()) return st;
  m.calibration_nsamples = *nsamples;
  m.calibration_seqlen = *seqlen;
  m.calibration_seed = *seed;
  m.calibration_sampling = *sampling;
  m.calibration_propagate = *propagate;
  return status::success();
}

status parse_kind_table(const toml_section& root, plugin_manifest& m) {
  for (const char* kind : {"backend", "method", "task"}) {
    if (m.kind != kind && root.table().contains(kind)) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: table [{}] does not belong in a manifest of kind '{}'", root.file().string(), kind, m.kind));
    }
  }
  auto table = root.optional_table(m.kind);
  if (!table) return table.error();
  if (!*table) return status::success();  // the kind table is optional
  const toml_section& s = **table;
  if (m.kind == "backend") {
    if (status st = s.allow_only({"devices"}); !st.ok()) return st;
    auto devices = s.optional_string_array("devices");
    if (!devices) return devices.error();
    m.devices = std::move(*devices);
  } else if (m.kind == "method") {
    if (status st = s.allow_only({"family", "needs", "calibration"}); !st.ok()) return st;
    if (status st = parse_method_calibration(s, m); !st.ok()) return st;
    auto family = s.optional_string("family");
    if (!family) return family.error();
    m.family = family->value_or("pruning");
    if (m.family != "pruning" && m.family != "quantization") {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: '{}' is not one of 'pruning', 'quantization'", s.where("family"), m.family));
    }
    auto needs = s.optional_string_array("needs");
    if (!needs) return needs.error();
    const std::vector<std::string> known(std::begin(k_method_statistics), std::end(k_method_statistics));
    for (const std::string& n : *needs) {
      if (std::find(known.begin(), known.end(), n) == known.end()) {
        return fail(status_code::invalid_argument, fmt::format("{}: unknown statistic '{}', expected one of {}{}",
                                                               s.where("needs"), n, fmt::join(known, ", "),
                                                               did_you_mean(n, known)));
      }
    }
    m.needs = std::move(*needs);
  } else {
    if (status st = s.allow_only({"needs_dataset", "task_version"}); !st.ok()) return st;
    auto needs_dataset = s.optional_bool("needs_dataset");
    if (!needs_dataset) return needs_dataset.error();
    m.needs_dataset = needs_dataset->value_or(false);
    auto version = s.optional_string("task_version");
    if (!version) return version.error();
    m.task_version = version->value_or("");
  }
  return status::success();
}

}  // namespace

result<plugin_manifest> parse_plugin_manifest(const std::filesystem::path& file) {
  auto parsed = parse_toml_file(file);
  if (!parsed) return std::unexpected(parsed.error());
  const toml_section root(*parsed, file, "");
  if (status st = root.allow_only({"plugin", "params", "backend", "method", "task"}); !st.ok()) return fail(st);
  auto plugin = root.optional_table("plugin");
  if (!plugin) return std::unexpected(plugin.error());
  if (!*plugin) return fail(status_code::invalid_argument, fmt::format("{}: [plugin] table is missing", file.string()));
  const toml_section& p = **plugin;
  if (status st = p.allow_only({"name", "kind", "library", "api", "version", "description"}); !st.ok()) return fail(st);

  plugin_manifest m;
  m.file = file;
  auto name = p.required_string("name");
  if (!name) return std::unexpected(name.error());
  if (!is_valid_name(*name)) {
    return fail(status_code::invalid_argument, fmt::format("{}: '{}' must match [a-z][a-z0-9_-]*", p.where("name"), *name));
  }
  m.name = *name;
  auto kind = p.required_string("kind");
  if (!kind) return std::unexpected(kind.error());
  static const std::vector<std::string> kinds = {"method", "backend", "task"};
  if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
    return fail(status_code::invalid_argument, fmt::format("{}: '{}' is not one of 'method', 'backend', 'task'{}",
                                                           p.where("kind"), *kind, did_you_mean(*kind, kinds)));
  }
  m.kind = *kind;
  auto api = p.required_int("api");
  if (!api) return std::unexpected(api.error());
  m.api = *api;
  if (m.api != KICK_ABI_VERSION) {
    return fail(status_code::failed_precondition,
                fmt::format("{}: manifest api {} != host plugin API {}", p.where("api"), m.api, KICK_ABI_VERSION));
  }
  auto version = p.required_string("version");
  if (!version) return std::unexpected(version.error());
  m.version = *version;
  auto description = p.required_string("description");
  if (!description) return std::unexpected(description.error());
  m.description = *description;
  auto library = p.required_string("library");
  if (!library) return std::unexpected(library.error());
  const std::string expected_library = fmt::format("libkick-{}-{}.so", m.kind, m.name);
  if (std::filesystem::path(*library).filename() != expected_library) {
    return fail(status_code::invalid_argument, fmt::format("{}: '{}' must be named '{}' (libkick-<kind>-<name>.so)",
                                                           p.where("library"), *library, expected_library));
  }
  m.library = (file.parent_path() / *library).lexically_normal();

  if (status st = parse_kind_table(root, m); !st.ok()) return fail(st);

  auto params = root.optional_table("params");
  if (!params) return std::unexpected(params.error());
  if (*params) {
    for (auto&& [key, value] : (*params)->table()) {
      auto sub = (*params)->optional_table(key.str());
      if (!sub) return std::unexpected(sub.error());
      auto spec = parse_param(**sub, std::string(key.str()));
      if (!spec) return std::unexpected(spec.error());
      m.params.push_back(std::move(*spec));
    }
  }
  // Checked last, so that a manifest's own mistakes are reported before a missing build output.
  std::error_code ec;
  if (!std::filesystem::exists(m.library, ec)) {
    return fail(status_code::not_found,
                fmt::format("{}: library '{}' not found (looked for {}; is the plugin built?)", p.where("library"),
                            *library, m.library.string()));
  }
  return m;
}

}  // namespace kick
