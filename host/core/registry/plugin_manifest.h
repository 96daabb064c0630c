// Plugin manifests: one TOML file per plugin, read and validated before any library is loaded.
// Schema (docs/manifests.md):
//   [plugin]  name, kind (method|backend|task), library, api, version, description
//   [backend] devices = [..]                       (kind = backend)
//   [method]  family = "pruning"|"quantization", needs = [..]   (kind = method)
//   [task]    needs_dataset = bool, task_version = ".."          (kind = task)
//   [params.<name>] type, default, min, max, choices, help
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kick/params.h"
#include "kick/status.h"

namespace kick {

struct param_spec {
  std::string name;
  param_type type = param_type::string;
  std::optional<param_value> default_value;  // absent: the run-manifest must set it
  std::optional<double> min;                 // int and float only
  std::optional<double> max;
  std::vector<std::string> choices;          // string only; empty = any
  std::string help;
};

struct plugin_manifest {
  std::filesystem::path file;     // the .toml itself
  std::string name;
  std::string kind;               // method | backend | task
  std::filesystem::path library;  // absolute: resolved against the manifest's directory
  std::int64_t api = 0;
  std::string version;
  std::string description;
  std::vector<param_spec> params;
  // [backend]
  std::vector<std::string> devices;
  // [method]
  std::string family;
  std::vector<std::string> needs;
  // [method.calibration]: the method's own calibration defaults (a run's [compress.calibration]
  // overrides them; unset ones fall back to the host's defaults).
  std::optional<std::int64_t> calibration_nsamples;
  std::optional<std::int64_t> calibration_seqlen;
  std::optional<std::int64_t> calibration_seed;
  std::optional<std::string> calibration_sampling;   // windows | blocks
  std::optional<std::string> calibration_propagate;  // compressed | dense
  // [task]
  bool needs_dataset = false;
  std::string task_version;

  const param_spec* find_param(std::string_view param_name) const;
  std::vector<std::string> param_names() const;
};

// The statistics a method may ask the host to collect ([method] needs).
inline constexpr const char* k_method_statistics[] = {"hessian", "input_sq_mean", "input_abs_mean", "input_abs_max",
                                                       "inputs"};
// How calibration sequences are drawn, and which block output feeds the next block.
inline constexpr const char* k_calibration_samplings[] = {"windows", "blocks"};
inline constexpr const char* k_calibration_propagations[] = {"compressed", "dense"};

// Parses and validates one manifest. Errors read "<file>: <key>: <problem>" and include a
// "did you mean" for misspelt keys. Checks that the library file exists.
result<plugin_manifest> parse_plugin_manifest(const std::filesystem::path& file);

}  // namespace kick
