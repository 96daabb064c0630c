#include "cli/cli_support.h"

#include <fmt/format.h>

#include <iostream>

#include "core/registry/param_schema.h"
#include "core/run/run_manifest.h"

namespace kick::cli {

bool parse_command_line(const args& a, const std::string& usage, const po::options_description& options,
                        const po::positional_options_description& positional, po::variables_map& vm, int& exit_code) {
  po::options_description all = options;
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(a).options(all).positional(positional).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << usage << "\n\n" << all << "\n";
      exit_code = k_exit_ok;
      return false;
    }
    po::notify(vm);
  } catch (const po::required_option& e) {
    std::string name = e.get_option_name();
    while (!name.empty() && name.front() == '-') name.erase(name.begin());
    const bool is_positional = positional.max_total_count() > 0 && positional.name_for_position(0) == name;
    fmt::print(stderr, "kickhost: missing {} '{}'\n{}\n(see --help)\n", is_positional ? "argument" : "option",
               is_positional ? name : "--" + name, usage);
    exit_code = k_exit_usage;
    return false;
  } catch (const po::error& e) {
    fmt::print(stderr, "kickhost: {}\n{}\n(see --help)\n", e.what(), usage);
    exit_code = k_exit_usage;
    return false;
  }
  return true;
}

int report_error(const char* command, const status& s) {
  fmt::print(stderr, "kickhost {}: error: {}\n", command, s.message());
  switch (s.code()) {
    case status_code::invalid_argument:
    case status_code::not_found:
    case status_code::out_of_range:
    case status_code::failed_precondition:
      return k_exit_usage;
    default:
      return k_exit_failure;
  }
}

bool apply_log_level(const char* command, const std::string& name, console_host& services) {
  if (name.empty()) return true;
  log_level level{};
  if (!parse_log_level(name, level)) {
    fmt::print(stderr, "kickhost {}: error: --log-level '{}' is not one of debug, info, warn, error\n", command, name);
    return false;
  }
  services.set_level(level);
  return true;
}

result<cli_plugin> resolve_cli_plugin(const std::vector<std::string>& plugin_dirs, std::string_view kind, const std::string& name,
                                      const std::vector<std::string>& sets, std::string_view flag) {
  cli_plugin out;
  registry_options ro;
  for (const auto& d : plugin_dirs) ro.plugin_dirs.emplace_back(d);
  out.registry = plugin_registry::discover(ro);
  if (!out.registry.errors().empty()) return fail(out.registry.errors().front());
  auto manifest = out.registry.find(kind, name);
  if (!manifest) return fail(manifest.error().with_context(std::string(flag)));
  out.manifest = *manifest;
  toml::table values;
  const std::string section = kind == "method" ? "compress" : std::string(kind);  // a run-manifest section name
  for (const std::string& s : sets) {
    if (status st = apply_override(values, section + "." + s); !st.ok()) return fail(st);
  }
  const toml::table* plugin_values = values[section].as_table();
  auto params = resolve_params(*out.manifest, plugin_values ? *plugin_values : toml::table{}, "--set", ".");
  if (!params) return fail(params.error());
  out.params = std::move(*params);
  return out;
}

result<cli_backend> resolve_cli_backend(const std::vector<std::string>& plugin_dirs, const std::string& name,
                                        const std::vector<std::string>& sets) {
  return resolve_cli_plugin(plugin_dirs, "backend", name, sets, "--backend");
}

std::optional<matrix_shape> parse_matrix_shape(const std::string& text) {
  const std::size_t x = text.find('x');
  if (x == std::string::npos) return std::nullopt;
  matrix_shape out;
  try {
    std::size_t used = 0;
    out.rows = std::stoll(text.substr(0, x), &used);
    if (used != x) return std::nullopt;
    out.cols = std::stoll(text.substr(x + 1), &used);
    if (used != text.size() - x - 1) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  if (out.rows < 1 || out.cols < 1 || out.rows > 65536 || out.cols > 65536) return std::nullopt;
  return out;
}

}  // namespace kick::cli
