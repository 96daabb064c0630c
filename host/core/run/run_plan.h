// `kickhost run`: validate a run-manifest completely, then load, compress, evaluate and write
// results.json. Nothing heavy (no library, no model) is loaded before validation passes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/registry/plugin_registry.h"
#include "core/run/compress_model.h"
#include "core/run/console_host.h"
#include "core/run/run_manifest.h"
#include "kick/params.h"

namespace kick {

struct run_options {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir
  std::optional<std::filesystem::path> output_dir; // --out (overrides [output] dir)
  std::vector<std::string> overrides;              // --set
};

struct planned_plugin {
  const plugin_manifest* manifest = nullptr;
  param_map params;
};

// One compression variant, checked: no method for the dense baseline.
struct planned_variant {
  std::string label;
  std::optional<planned_plugin> method;
  calibration_options calibration;  // resolved: run-manifest > method manifest > host defaults
  std::filesystem::path save;
};

// Everything a run needs, checked: the manifest, each plugin's manifest and validated params,
// and that every input file exists.
struct run_plan {
  run_manifest manifest;
  plugin_registry registry;
  planned_plugin backend;
  std::optional<planned_plugin> backend_fallback;  // [backend] fallback, with its default params
  std::vector<planned_variant> variants;  // parallel to manifest.variants
  std::vector<planned_plugin> tasks;  // parallel to manifest.tasks
};

result<run_plan> plan_run(const std::filesystem::path& manifest_file, const run_options& options);

struct variant_report {
  std::string label;
  nlohmann::json results;
  std::filesystem::path results_file;
};

struct run_report {
  std::vector<variant_report> variants;
  std::filesystem::path comparison_file;  // <output dir>/comparison.md when there are several variants
  std::string comparison_table;           // its text
};

// Executes a validated plan: each variant in turn (load, compress, evaluate every task) writes
// its results.json atomically: into the output dir when there is one variant, else into
// <output dir>/<label>/; several variants also get <output dir>/comparison.{md,json}.
result<run_report> execute_run(const run_plan& plan, console_host& services);

nlohmann::json params_to_json(const param_map& params);

}  // namespace kick
