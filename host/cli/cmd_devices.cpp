// kickhost devices: the devices every backend plugin can run on (Vulkan GPUs by index and name).
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/registry/param_schema.h"
#include "core/registry/plugin_instance.h"
#include "core/registry/plugin_registry.h"
#include "core/run/console_host.h"

namespace kick::cli {

int cmd_devices(const args& a) {
  const std::string usage =
      "usage: kickhost devices [--backend NAME] [--plugin-dir DIR]...\n"
      "Lists, for each backend plugin (or only NAME), the devices it can run on. A run-manifest picks one with\n"
      "its backend's `device` parameter (an index or a name substring).";
  po::options_description options("options");
  std::string only;
  std::vector<std::string> plugin_dirs;
  options.add_options()("backend", po::value(&only), "list only this backend's devices")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  registry_options ro;
  for (const auto& d : plugin_dirs) ro.plugin_dirs.emplace_back(d);
  const plugin_registry registry = plugin_registry::discover(ro);
  console_host services(log_level::warn);
  int exit = k_exit_ok;
  bool found = false;
  for (const plugin_manifest& m : registry.manifests()) {
    if (m.kind != "backend" || (!only.empty() && m.name != only)) continue;
    found = true;
    fmt::print("{}:\n", m.name);
    auto defaults = resolve_params(m, toml::table{}, m.file.string(), m.file.parent_path());
    auto b = defaults ? create_backend(m, services, *defaults) : result<plugin_instance<backend>>(std::unexpected(defaults.error()));
    auto lines = b ? (*b)->devices() : result<std::vector<std::string>>(std::unexpected(b.error()));
    if (!lines) {
      fmt::print("  (none: {})\n", lines.error().message());
      exit = k_exit_failure;
      continue;
    }
    for (const std::string& line : *lines) fmt::print("  {}\n", line);
  }
  if (!found) {
    return report_error("devices", status(status_code::not_found, only.empty() ? std::string("no backend plugin found")
                                                                                : fmt::format("no backend plugin named '{}'", only)));
  }
  return exit;
}

}  // namespace kick::cli
