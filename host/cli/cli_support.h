// What every kickhost subcommand shares: option parsing with clear errors, and the exit codes.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "core/registry/plugin_registry.h"
#include "core/run/console_host.h"
#include "kick/params.h"
#include "kick/status.h"

namespace kick::cli {

namespace po = boost::program_options;

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;  // the work itself failed
inline constexpr int k_exit_usage = 2;    // bad flags or bad input

// Parses `a` against `options` (and `positional`), storing into `vm`. On --help prints the
// usage and returns 0 through `exit_code`; on a bad flag prints one line naming it and returns 2.
// Returns true when the command should go on.
bool parse_command_line(const args& a, const std::string& usage, const po::options_description& options,
                        const po::positional_options_description& positional, po::variables_map& vm, int& exit_code);

// Applies --log-level NAME (when not empty) to `services`; on an unknown name prints one line
// naming it and returns false (the command then exits with k_exit_usage).
bool apply_log_level(const char* command, const std::string& name, console_host& services);

// Prints "kickhost <command>: <message>" on stderr and returns the exit code for the status:
// 2 for bad input (invalid_argument, not_found, out_of_range, failed_precondition), 1 otherwise.
int report_error(const char* command, const status& s);

// A plugin chosen on the command line (`--backend NAME`, `--method NAME`), its parameters from
// `--set PARAM=VALUE` validated against the plugin's manifest, found through the plugin search
// path. Errors name `flag`.
struct cli_plugin {
  plugin_registry registry;
  const plugin_manifest* manifest = nullptr;  // points into registry
  param_map params;
};
using cli_backend = cli_plugin;
result<cli_plugin> resolve_cli_plugin(const std::vector<std::string>& plugin_dirs, std::string_view kind, const std::string& name,
                                      const std::vector<std::string>& sets, std::string_view flag);
result<cli_backend> resolve_cli_backend(const std::vector<std::string>& plugin_dirs, const std::string& name,
                                        const std::vector<std::string>& sets);

// A matrix shape "ROWSxCOLS" (e.g. 11008x4096), both sizes in [1, 65536]; nullopt otherwise.
struct matrix_shape {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};
std::optional<matrix_shape> parse_matrix_shape(const std::string& text);

}  // namespace kick::cli
