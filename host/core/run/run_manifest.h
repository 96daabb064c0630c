// Run-manifests: model x compression x backend x tasks, in TOML (docs/manifests.md).
//
//   seed = 0                      # optional
//   description = "..."           # optional
//   [model]    path, tokenizer, format (auto|hf|gguf|llama2c), context
//   [backend]  name, <backend params>...
//   [compress] method, label, save, <method params>...  (optional; method "none" = no compression)
//   [compress.calibration] data, nsamples, seqlen, seed, sampling, propagate, true_sequential
//   ([[compress]] instead: several variants, each evaluated on every task, then compared)
//   [[task]]   name, alias, dataset, limit, <task params>...
//   [output]   dir
//
// Input paths are relative to the manifest's directory; output.dir to the working directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "core/model/model_loader.h"
#include "core/run/compress_model.h"
#include "kick/status.h"

namespace kick {

// A section that names a plugin; every other key is one of the plugin's parameters.
struct plugin_section {
  std::string name;
  toml::table params;
  std::string where;  // "<file>: [backend]" etc., for messages
};

// One compression variant of the run. `method` is empty for the uncompressed baseline.
struct compress_section {
  std::optional<plugin_section> method;
  std::string label;                    // results folder and table column; default: method name, or "dense"
  calibration_settings calibration;     // [compress.calibration]; data relative to the manifest
  std::filesystem::path save;           // write the compressed model there (optional; relative to the working dir)
  std::string where;
};

struct task_section {
  std::string name;
  std::string alias;  // results key; defaults to name, unique within the run
  std::filesystem::path dataset;  // empty when not given
  std::int64_t limit = 0;
  toml::table params;
  std::string where;
};

struct run_manifest {
  std::filesystem::path file;
  std::filesystem::path base_dir;
  std::string description;
  std::uint64_t seed = 0;
  std::filesystem::path model_path;
  std::filesystem::path tokenizer_path;  // empty: the model's own
  model_format format = model_format::auto_detect;
  std::int64_t context = 0;              // 0: the model's trained context
  plugin_section backend;
  std::string backend_fallback;          // [backend] fallback: a backend to use when this one is unavailable
  std::vector<compress_section> variants;  // at least one: a lone dense baseline when [compress] is absent
  std::vector<task_section> tasks;
  std::filesystem::path output_dir;
};

// Reads `file`, applies `overrides` ("section.key=value", see apply_override), and checks the
// structure: known sections and keys, types, at least one task, unique aliases. Plugin
// parameters are checked later against the plugin manifests (see run_plan).
result<run_manifest> load_run_manifest(const std::filesystem::path& file, std::span<const std::string> overrides);

// Applies one --set override to a parsed manifest table. Forms: "seed=1", "model.path=m.gguf",
// "backend.threads=2", "compress.method=none", "task.<name or alias>.<key>=value",
// "output.dir=out". The value is read as a TOML value when it parses as one, else as a string.
status apply_override(toml::table& root, std::string_view assignment);

}  // namespace kick
