// The heavy half of `kickhost run`: load, compress, evaluate, write results.json.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>

#include "core/model/save_compressed_model.h"
#include "core/run/compress_model.h"
#include "core/run/lm_service.h"
#include "core/run/model_session.h"
#include "core/run/results_file.h"
#include "core/run/run_plan.h"
#include "core/run/sample_file.h"
#include "core/util/peak_rss.h"
#include "kick/abi.h"

namespace kick {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string iso_date_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One task's entries in the lm-eval blocks of the results document.
void add_task_result(nlohmann::json& doc, const task_section& section, const planned_plugin& plan, const task_result& r,
                     double seconds) {
  const std::string& alias = section.alias;
  nlohmann::json metrics = {{"alias", alias}};
  nlohmann::json higher = nlohmann::json::object();
  for (const metric_value& m : r.metrics) {
    metrics[fmt::format("{},{}", m.name, m.filter)] = m.value;
    metrics[fmt::format("{}_stderr,{}", m.name, m.filter)] =
        m.standard_error ? nlohmann::json(*m.standard_error) : nlohmann::json("N/A");
    higher[m.name] = m.higher_is_better;
  }
  doc["results"][alias] = metrics;
  doc["higher_is_better"][alias] = higher;
  doc["versions"][alias] = plan.manifest->task_version.empty() ? plan.manifest->version : plan.manifest->task_version;
  doc["n-samples"][alias] = {{"original", r.n_samples_original}, {"effective", r.n_samples_effective}};
  nlohmann::json details = nlohmann::json::object();
  for (const auto& [k, v] : r.details) details[k] = v;
  doc["configs"][alias] = {{"task", section.name},
                           {"dataset_path", section.dataset.string()},
                           {"limit", section.limit},
                           {"params", params_to_json(plan.params)},
                           {"plugin_version", plan.manifest->version},
                           {"details", details},
                           {"samples_file", fmt::format("samples_{}.jsonl", section.alias)},
                           {"seconds", seconds}};
}

result<variant_report> execute_variant(const run_plan& plan, const planned_variant& variant,
                                       const std::filesystem::path& output_dir, console_host& services) {
  const run_manifest& m = plan.manifest;
  const auto run_started = clock_type::now();
  nlohmann::json doc = {{"results", nlohmann::json::object()},      {"configs", nlohmann::json::object()},
                        {"versions", nlohmann::json::object()},     {"n-shot", nlohmann::json::object()},
                        {"higher_is_better", nlohmann::json::object()}, {"n-samples", nlohmann::json::object()}};
  nlohmann::json timings = nlohmann::json::object();

  services.log(log_level::info, fmt::format("loading model {}", m.model_path.string()));
  auto started = clock_type::now();
  auto model = load_model(m.model_path, m.format);
  if (!model) return std::unexpected(model.error());
  auto tok = resolve_tokenizer(*model, m.tokenizer_path);
  if (!tok) return std::unexpected(tok.error());
  timings["model_load_seconds"] = seconds_since(started);

  nlohmann::json compression = {{"method", "none"}, {"params", nlohmann::json::object()}, {"per_layer", nlohmann::json::array()},
                                {"global_sparsity", 0.0}};
  if (!model->compression_json.empty()) {
    // A model saved compressed (kickhost compress, [compress] save) reports how it was made.
    compression = nlohmann::json::parse(model->compression_json, nullptr, false);
    if (compression.is_discarded() || !compression.is_object()) {
      return fail(status_code::invalid_argument,
                  fmt::format("model '{}': its kick.compression metadata is not a JSON object", m.model_path.string()));
    }
    compression["loaded_from"] = m.model_path.string();
  }
  if (variant.method && !model->compression_json.empty()) {
    services.log(log_level::warn, fmt::format("model '{}' is already compressed ({}); compressing it again with {}",
                                              m.model_path.string(), compression.value("method", "?"), variant.method->manifest->name));
  }
  if (variant.method) {
    const planned_plugin& method_plan = *variant.method;
    services.log(log_level::info, fmt::format("compressing with method {} ({})", method_plan.manifest->name, variant.label));
    started = clock_type::now();
    services.set_context(fmt::format("method {}", method_plan.manifest->name));
    auto method = create_method(*method_plan.manifest, services, method_plan.params);
    if (!method) return std::unexpected(method.error());
    auto block = compress_model(*model, **tok, **method, *method_plan.manifest, params_to_json(method_plan.params),
                                variant.calibration, services);
    services.set_context("");
    if (!block) return std::unexpected(block.error().with_context(fmt::format("method {}", method_plan.manifest->name)));
    compression = std::move(*block);
    timings["compress_seconds"] = seconds_since(started);
    services.log(log_level::info, fmt::format("compressed in {:.2f} s: global sparsity {:.4f}, {:.2f} bits per weight",
                                              seconds_since(started), compression["global_sparsity"].get<double>(),
                                              compression["mean_bits_per_weight"].get<double>()));
    if (!variant.save.empty()) {
      const std::filesystem::path tokenizer_source = m.tokenizer_path.empty() ? model->tokenizer_path : m.tokenizer_path;
      if (status s = save_compressed_model(*model, variant.save, tokenizer_source); !s.ok()) return fail(s.with_context("[compress] save"));
      services.log(log_level::info, fmt::format("compressed model saved to {}", variant.save.string()));
    }
  }

  started = clock_type::now();
  services.set_context(fmt::format("backend {}", plan.backend.manifest->name));
  auto session = open_backend_session(*plan.backend.manifest, plan.backend.params, *model, m.context, services);
  const planned_plugin* used_backend = &plan.backend;
  std::string fallback_reason;
  // A device that cannot run the model (absent, lacking a feature, out of memory, lost) hands the
  // run to the manifest's fallback backend; a bug or bad input does not.
  const auto device_problem = [](status_code c) {
    return c == status_code::unavailable || c == status_code::resource_exhausted || c == status_code::unimplemented;
  };
  if (!session && plan.backend_fallback && device_problem(session.error().code())) {
    fallback_reason = session.error().message();
    services.log(log_level::warn, fmt::format("backend {} cannot run this model ({}); falling back to backend {}", plan.backend.manifest->name,
                                              fallback_reason, plan.backend_fallback->manifest->name));
    used_backend = &*plan.backend_fallback;
    services.set_context(fmt::format("backend {}", used_backend->manifest->name));
    session = open_backend_session(*used_backend->manifest, used_backend->params, *model, m.context, services);
  }
  services.set_context("");
  if (!session) return std::unexpected(session.error());
  timings["backend_load_seconds"] = seconds_since(started);
  const std::string device = session->backend_instance->describe();
  services.log(log_level::info, fmt::format("backend: {}", device));

  lm_service service(*session->runner, **tok, model->view.config.n_vocab);
  nlohmann::json task_seconds = nlohmann::json::object();
  for (std::size_t i = 0; i < m.tasks.size(); ++i) {
    const task_section& section = m.tasks[i];
    const planned_plugin& tp = plan.tasks[i];
    services.log(log_level::info, fmt::format("task {} ({}/{})", section.alias, i + 1, m.tasks.size()));
    started = clock_type::now();
    services.set_context(fmt::format("task {}", section.alias));
    auto task = create_task(*tp.manifest, services, tp.params);
    if (!task) return std::unexpected(task.error());
    const std::filesystem::path samples_path = output_dir / fmt::format("samples_{}.jsonl", section.alias);
    auto samples = sample_file::create(samples_path);
    if (!samples) return std::unexpected(samples.error());
    task_context context{service, services, section.dataset.string(), section.limit, m.seed, **samples};
    auto r = (*task)->run(context);
    services.set_context("");
    if (!r) return std::unexpected(r.error().with_context(fmt::format("task {}", section.alias)));
    if (status s = (*samples)->commit(); !s.ok()) return std::unexpected(s);
    const double seconds = seconds_since(started);
    task_seconds[section.alias] = seconds;
    add_task_result(doc, section, tp, *r, seconds);
    // lm-eval's n-shot: a task that uses few-shot examples reports them as details "n_shot".
    doc["n-shot"][section.alias] = 0;
    for (const auto& [key, value] : r->details) {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (key == "n_shot" && ec == std::errc() && end == value.data() + value.size()) doc["n-shot"][section.alias] = n;
    }
  }
  timings["tasks_seconds"] = task_seconds;
  timings["tokens_evaluated"] = service.tokens_evaluated();
  timings["peak_rss_bytes"] = peak_rss_bytes();

  doc["config"] = {{"model", m.model_path.string()},
                   {"model_format", to_string(model->format)},
                   {"model_num_parameters", model->n_params},
                   {"tokenizer", (m.tokenizer_path.empty() ? model->tokenizer_path : m.tokenizer_path).string()},
                   {"tokenizer_kind", (*tok)->kind()},
                   {"n_ctx", session->runner->context_length()},
                   {"backend", used_backend->manifest->name},
                   {"backend_params", params_to_json(used_backend->params)},
                   {"backend_version", used_backend->manifest->version},
                   {"backend_requested", plan.backend.manifest->name},
                   {"backend_fallback_reason", fallback_reason},
                   {"device", device},
                   {"method", variant.method ? variant.method->manifest->name : std::string("none")},
                   {"method_params", variant.method ? params_to_json(variant.method->params) : nlohmann::json::object()},
                   {"variant", variant.label},
                   {"seed", m.seed},
                   {"manifest", std::filesystem::absolute(m.file).lexically_normal().string()},
                   {"description", m.description},
                   {"kick_version", KICK_VERSION},
                   {"build_id", KICK_BUILD_ID},
                   {"timings", timings}};
  doc["compression"] = compression;
  doc["git_hash"] = KICK_GIT_HASH;
  doc["date"] = iso_date_utc();
  doc["total_evaluation_time_seconds"] = fmt::format("{:.3f}", seconds_since(run_started));

  variant_report report;
  report.label = variant.label;
  report.results_file = output_dir / "results.json";
  if (status s = write_file_atomically(report.results_file, doc.dump(2) + "\n"); !s.ok()) return std::unexpected(s);
  report.results = std::move(doc);
  return report;
}

}  // namespace

result<run_report> execute_run(const run_plan& plan, console_host& services) {
  const run_manifest& m = plan.manifest;
  run_report report;
  const bool several = plan.variants.size() > 1;
  for (std::size_t i = 0; i < plan.variants.size(); ++i) {
    const planned_variant& v = plan.variants[i];
    if (several) services.log(log_level::info, fmt::format("variant {} ({}/{})", v.label, i + 1, plan.variants.size()));
    auto r = execute_variant(plan, v, several ? m.output_dir / v.label : m.output_dir, services);
    if (!r) return std::unexpected(several ? r.error().with_context(fmt::format("variant {}", v.label)) : r.error());
    report.variants.push_back(std::move(*r));
  }
  if (several) {
    std::vector<std::pair<std::string, const nlohmann::json*>> columns;
    for (const variant_report& v : report.variants) columns.emplace_back(v.label, &v.results);
    report.comparison_file = m.output_dir / "comparison.md";
    report.comparison_table = format_comparison_table(columns);
    if (status s = write_file_atomically(report.comparison_file, report.comparison_table); !s.ok()) return std::unexpected(s);
    nlohmann::json summary = nlohmann::json::array();
    for (const variant_report& v : report.variants) {
      summary.push_back({{"label", v.label},
                         {"results_file", std::filesystem::relative(v.results_file, m.output_dir).string()},
                         {"compression", {{"method", v.results["compression"]["method"]},
                                          {"params", v.results["compression"]["params"]},
                                          {"global_sparsity", v.results["compression"]["global_sparsity"]},
                                          {"mean_bits_per_weight", v.results["compression"].value("mean_bits_per_weight", 32.0)}}},
                         {"results", v.results["results"]}});
    }
    if (status s = write_file_atomically(m.output_dir / "comparison.json", summary.dump(2) + "\n"); !s.ok()) return std::unexpected(s);
  }
  return report;
}

}  // namespace kick
