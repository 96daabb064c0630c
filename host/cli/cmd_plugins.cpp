// kickhost plugins list|check [--plugin-dir DIR]...
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/registry/param_schema.h"
#include "core/registry/plugin_instance.h"
#include "core/registry/plugin_registry.h"
#include "core/run/console_host.h"

namespace kick::cli {

namespace {

void print_list(const plugin_registry& registry) {
  std::size_t w_name = 4, w_kind = 4, w_version = 7;
  for (const auto& m : registry.manifests()) {
    w_name = std::max(w_name, m.name.size());
    w_kind = std::max(w_kind, m.kind.size());
    w_version = std::max(w_version, m.version.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", "name", w_name, "kind", w_kind, "version", w_version, "description");
  for (const auto& m : registry.manifests()) {
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {}\n", m.name, w_name, m.kind, w_kind, m.version, w_version, m.description);
    for (const auto& p : m.params) {
      std::string def = p.default_value ? to_display(*p.default_value) : std::string("(required)");
      for (std::size_t at = 0; (at = def.find('\n', at)) != std::string::npos;) def.replace(at, 1, "\\n");
      fmt::print("    {} ({}, default {}): {}\n", p.name, to_string(p.type), def, p.help);
    }
    fmt::print("    manifest: {}\n", m.file.string());
  }
  std::vector<std::string> dirs;
  for (const auto& d : registry.search_dirs()) dirs.push_back(d.string());
  fmt::print("searched: {}\n", dirs.empty() ? std::string("(no directories)") : fmt::format("{}", fmt::join(dirs, ", ")));
}

// Loads a plugin and, when every parameter has a default, creates one object with the defaults.
status check_one(const plugin_manifest& m, const host& services) {
  auto lib = open_checked_library(m);
  if (!lib) return lib.error();
  param_map defaults;
  for (const auto& p : m.params) {
    if (!p.default_value) return status::success();
    defaults.set(p.name, *p.default_value);
  }
  if (m.kind == "backend") {
    auto b = create_backend(m, services, defaults);
    if (!b) return b.error();
  } else if (m.kind == "task") {
    auto t = create_task(m, services, defaults);
    if (!t) return t.error();
  } else {
    auto x = create_method(m, services, defaults);
    if (!x) return x.error();
  }
  return status::success();
}

}  // namespace

int cmd_plugins(const args& a) {
  const std::string usage =
      "usage: kickhost plugins list|check [--plugin-dir DIR]...\n"
      "list: the plugins whose manifests are found (no library is loaded).\n"
      "check: also load every library, cross-check it with its manifest and create it with default parameters.";
  po::options_description options("options");
  std::string action;
  std::vector<std::string> plugin_dirs;
  options.add_options()("action", po::value(&action)->required(), "list | check")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, positional, vm, exit_code)) return exit_code;
  if (action != "list" && action != "check") {
    fmt::print(stderr, "kickhost plugins: error: unknown action '{}', expected list or check\n", action);
    return k_exit_usage;
  }
  registry_options ro;
  for (const auto& d : plugin_dirs) ro.plugin_dirs.emplace_back(d);
  const plugin_registry registry = plugin_registry::discover(ro);
  print_list(registry);
  int exit = k_exit_ok;
  // Bad manifests and libraries are bad input (2); anything else is a failure (1).
  const auto record = [&](const status& s) {
    const bool bad_input = s.code() != status_code::internal && s.code() != status_code::unavailable &&
                           s.code() != status_code::resource_exhausted;
    exit = std::max(exit, bad_input ? k_exit_usage : k_exit_failure);
  };
  for (const status& e : registry.errors()) {
    fmt::print(stderr, "kickhost plugins: error: {}\n", e.message());
    record(e);
  }
  if (action == "check") {
    console_host services(log_level::warn);
    for (const auto& m : registry.manifests()) {
      const status s = check_one(m, services);
      if (s.ok()) {
        fmt::print("ok      {} {} ({})\n", m.kind, m.name, m.library.string());
      } else {
        fmt::print("FAILED  {} {}: {}\n", m.kind, m.name, s.message());
        record(s);
      }
    }
  }
  return exit;
}

}  // namespace kick::cli
