#include "core/run/run_plan.h"

#include "core/model/save_compressed_model.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/registry/param_schema.h"

namespace kick {

nlohmann::json params_to_json(const param_map& params) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : params.items()) {
    std::visit([&](const auto& v) { out[name] = v; }, value);
  }
  return out;
}

namespace {

result<planned_plugin> plan_plugin(const plugin_registry& registry, std::string_view kind, const std::string& name,
                                   const toml::table& values, const std::string& where, const std::filesystem::path& base_dir) {
  auto manifest = registry.find(kind, name);
  if (!manifest) return std::unexpected(manifest.error().with_context(where));
  auto params = resolve_params(**manifest, values, where, base_dir);
  if (!params) return std::unexpected(params.error());
  return planned_plugin{*manifest, std::move(*params)};
}

status require_exists(const std::filesystem::path& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(status_code::not_found, fmt::format("{} '{}' not found", what, path.string()));
  return status::success();
}

}  // namespace

result<run_plan> plan_run(const std::filesystem::path& manifest_file, const run_options& options) {
  run_plan plan;
  auto manifest = load_run_manifest(manifest_file, options.overrides);
  if (!manifest) return std::unexpected(manifest.error());
  plan.manifest = std::move(*manifest);
  run_manifest& m = plan.manifest;
  if (options.output_dir) m.output_dir = *options.output_dir;

  registry_options reg;
  reg.plugin_dirs = options.plugin_dirs;
  plan.registry = plugin_registry::discover(reg);
  if (!plan.registry.errors().empty()) {
    const status& first = plan.registry.errors().front();
    if (plan.registry.errors().size() == 1) return fail(first);
    return fail(first.code(), fmt::format("{} (and {} more plugin problems: see `kickhost plugins list`)", first.message(),
                                          plan.registry.errors().size() - 1));
  }

  auto backend = plan_plugin(plan.registry, "backend", m.backend.name, m.backend.params, m.backend.where, m.base_dir);
  if (!backend) return std::unexpected(backend.error());
  plan.backend = std::move(*backend);
  if (!m.backend_fallback.empty()) {
    auto fallback = plan_plugin(plan.registry, "backend", m.backend_fallback, toml::table{}, m.backend.where + " fallback", m.base_dir);
    if (!fallback) return std::unexpected(fallback.error());
    plan.backend_fallback = std::move(*fallback);
  }
  for (const compress_section& c : m.variants) {
    planned_variant v;
    v.label = c.label;
    v.save = c.save;
    if (c.method) {
      auto method = plan_plugin(plan.registry, "method", c.method->name, c.method->params, c.where, m.base_dir);
      if (!method) return std::unexpected(method.error());
      v.calibration = resolve_calibration(*method->manifest, c.calibration);
      if (status s = check_calibration(*method->manifest, v.calibration, c.where + " calibration"); !s.ok()) return fail(s);
      v.method = std::move(*method);
      if (!v.save.empty()) {
        const std::filesystem::path tokenizer_source = m.tokenizer_path;
        if (status s = check_tokenizer_exportable(tokenizer_source); !s.ok()) return fail(s.with_context(c.where + " save"));
      }
    }
    plan.variants.push_back(std::move(v));
  }
  for (const task_section& t : m.tasks) {
    auto task = plan_plugin(plan.registry, "task", t.name, t.params, t.where, m.base_dir);
    if (!task) return std::unexpected(task.error());
    if (task->manifest->needs_dataset && t.dataset.empty()) {
      return fail(status_code::invalid_argument, fmt::format("{}: task '{}' needs a dataset = \"PATH\"", t.where, t.name));
    }
    if (!t.dataset.empty()) {
      if (status s = require_exists(t.dataset, "dataset"); !s.ok()) return fail(s.with_context(t.where));
    }
    plan.tasks.push_back(std::move(*task));
  }
  if (status s = require_exists(m.model_path, "model"); !s.ok()) return fail(s.with_context(fmt::format("{}: model.path", m.file.string())));
  if (!m.tokenizer_path.empty()) {
    if (status s = require_exists(m.tokenizer_path, "tokenizer"); !s.ok()) {
      return fail(s.with_context(fmt::format("{}: model.tokenizer", m.file.string())));
    }
  }
  return plan;
}

}  // namespace kick
