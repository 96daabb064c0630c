// kickhost run MANIFEST [--out DIR] [--set section.key=value]... [--plugin-dir DIR]...
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/run/results_file.h"
#include "core/run/run_plan.h"

namespace kick::cli {

int cmd_run(const args& a) {
  const std::string usage =
      "usage: kickhost run MANIFEST [--out DIR] [--set section.key=value]... [--plugin-dir DIR]...\n"
      "Runs a run-manifest (docs/manifests.md), prints a results table and writes DIR/results.json.";
  po::options_description options("options");
  std::string manifest;
  std::string out;
  std::vector<std::string> sets;
  std::vector<std::string> plugin_dirs;
  std::string log_level_name;
  options.add_options()("manifest", po::value(&manifest)->required(), "the run-manifest (TOML)")(
      "out,o", po::value(&out), "output directory (overrides [output] dir)")(
      "set", po::value(&sets)->composing(), "override a manifest value: section.key=value (repeatable)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)")(
      "log-level", po::value(&log_level_name), "debug | info | warn | error");
  po::positional_options_description positional;
  positional.add("manifest", 1);
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, positional, vm, exit_code)) return exit_code;

  console_host services;
  if (!apply_log_level("run", log_level_name, services)) return k_exit_usage;
  run_options ro;
  ro.overrides = sets;
  for (const auto& d : plugin_dirs) ro.plugin_dirs.emplace_back(d);
  if (!out.empty()) ro.output_dir = out;

  auto plan = plan_run(manifest, ro);
  if (!plan) return report_error("run", plan.error());
  auto report = execute_run(*plan, services);
  if (!report) return report_error("run", report.error());
  if (report->variants.size() == 1) {
    fmt::print("{}", format_results_table(report->variants.front().results));
    fmt::print("\nresults: {}\n", report->variants.front().results_file.string());
  } else {
    for (const variant_report& v : report->variants) fmt::print("results ({}): {}\n", v.label, v.results_file.string());
    fmt::print("\n{}\ncomparison: {}\n", report->comparison_table, report->comparison_file.string());
  }
  return k_exit_ok;
}

}  // namespace kick::cli
