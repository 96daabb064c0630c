// kickhost bench-methods [--method NAME]... [--set NAME.KEY=VALUE]... [--shape OUTxIN]... [--tokens N]
//                        [--repeats R] [--plugin-dir DIR]... [--json FILE]
// Times each method plugin on random layers of given shapes (defaults: Llama-7B's 4096x4096 and
// 11008x4096, and down_proj's 4096x11008) with statistics from random calibration inputs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_support.h"
#include "core/calibrate/layer_statistics.h"
#include "core/registry/plugin_instance.h"
#include "core/run/compress_model.h"
#include "core/run/console_host.h"
#include "core/run/run_manifest.h"
#include "kick/format_codec.h"

namespace kick::cli {

namespace {

using clock_type = std::chrono::steady_clock;

struct shape {
  std::int64_t n_out = 0, n_in = 0;
};

// Weights ~ N(0, 0.02); inputs with log-normal per-channel scales and a few x20 outlier channels,
// drawn from a fixed seed so every method sees the same layer.
std::vector<float> random_weight(const shape& s) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(s.n_out * s.n_in));
  for (float& v : w) v = normal(rng);
  return w;
}

std::vector<float> random_inputs(std::int64_t n_tokens, std::int64_t n_in) {
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> scale(static_cast<std::size_t>(n_in));
  for (std::int64_t j = 0; j < n_in; ++j) scale[static_cast<std::size_t>(j)] = std::exp(0.5f * normal(rng)) * (j % 97 == 0 ? 20.0f : 1.0f);
  std::vector<float> x(static_cast<std::size_t>(n_tokens * n_in));
  for (std::int64_t t = 0; t < n_tokens; ++t)
    for (std::int64_t j = 0; j < n_in; ++j) x[static_cast<std::size_t>(t * n_in + j)] = normal(rng) * scale[static_cast<std::size_t>(j)];
  return x;
}

}  // namespace

int cmd_bench_methods(const args& a) {
  const std::string usage =
      "usage: kickhost bench-methods [--method NAME]... [--set NAME.KEY=VALUE]... [--shape OUTxIN]... [--tokens N]\n"
      "                              [--repeats R] [--plugin-dir DIR]... [--json FILE]\n"
      "Times method plugins (default: every method found) on random layers [OUT, IN] with statistics from N random\n"
      "calibration tokens (default 2048, in sequences of 128). Prints the median of R runs (default 3) per method and shape.";
  po::options_description options("options");
  std::vector<std::string> methods, sets, shapes_text, plugin_dirs;
  std::int64_t n_tokens = 2048, repeats = 3;
  std::string json_path;
  options.add_options()("method", po::value(&methods)->composing(), "a method plugin (repeatable; default: all)")(
      "set", po::value(&sets)->composing(), "a method parameter: NAME.KEY=VALUE (repeatable)")(
      "shape", po::value(&shapes_text)->composing(), "layer shape OUTxIN (repeatable)")(
      "tokens", po::value(&n_tokens), "calibration tokens for the statistics")(
      "repeats", po::value(&repeats), "timed runs per method and shape (the median is reported)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)")(
      "json", po::value(&json_path), "also write the results as JSON to FILE");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  if (n_tokens < 1 || n_tokens > (1 << 20)) {
    fmt::print(stderr, "kickhost bench-methods: error: --tokens {} is outside [1, 1048576]\n", n_tokens);
    return k_exit_usage;
  }
  if (repeats < 1 || repeats > 100) {
    fmt::print(stderr, "kickhost bench-methods: error: --repeats {} is outside [1, 100]\n", repeats);
    return k_exit_usage;
  }
  if (shapes_text.empty()) shapes_text = {"4096x4096", "11008x4096", "4096x11008"};
  std::vector<shape> shapes;
  for (const std::string& t : shapes_text) {
    const std::optional<matrix_shape> parsed = parse_matrix_shape(t);
    if (!parsed) {
      fmt::print(stderr, "kickhost bench-methods: error: --shape '{}' is not OUTxIN with sizes in [1, 65536]\n", t);
      return k_exit_usage;
    }
    shapes.push_back({parsed->rows, parsed->cols});
  }
  registry_options ro;
  for (const auto& d : plugin_dirs) ro.plugin_dirs.emplace_back(d);
  const plugin_registry registry = plugin_registry::discover(ro);
  if (!registry.errors().empty()) return report_error("bench-methods", registry.errors().front());
  if (methods.empty()) {
    for (const plugin_manifest& m : registry.manifests())
      if (m.kind == "method") methods.push_back(m.name);
  }
  if (methods.empty()) {
    fmt::print(stderr, "kickhost bench-methods: error: no method plugins found (searched {} directories)\n", registry.search_dirs().size());
    return k_exit_usage;
  }
  // Per-method --set NAME.KEY=VALUE.
  std::vector<cli_plugin> plugins;
  for (const std::string& name : methods) {
    std::vector<std::string> own;
    for (const std::string& s : sets) {
      const std::size_t dot = s.find('.');
      if (dot == std::string::npos) {
        fmt::print(stderr, "kickhost bench-methods: error: --set '{}' is not NAME.KEY=VALUE\n", s);
        return k_exit_usage;
      }
      if (s.substr(0, dot) == name) own.push_back(s.substr(dot + 1));
    }
    auto p = resolve_cli_plugin(plugin_dirs, "method", name, own, "--method");
    if (!p) return report_error("bench-methods", p.error());
    plugins.push_back(std::move(*p));
  }

  console_host services;
  nlohmann::json results = nlohmann::json::array();
  fmt::print("| method | shape | statistics s | compress s (median of {}) | format | sparsity | bits/weight |\n", repeats);
  fmt::print("|---|---|---:|---:|---|---:|---:|\n");
  for (const shape& s : shapes) {
    const std::vector<float> weight = random_weight(s);
    const std::vector<float> inputs = random_inputs(n_tokens, s.n_in);
    for (const cli_plugin& p : plugins) {
      const statistics_request request = statistics_request::from_needs(p.manifest->needs);
      const auto stats_started = clock_type::now();
      layer_statistics acc(s.n_in, request);
      const std::int64_t per_sequence = std::min<std::int64_t>(128, n_tokens);
      for (std::int64_t t = 0; t < n_tokens; t += per_sequence)
        acc.add_sequence(inputs.data() + t * s.n_in, std::min(per_sequence, n_tokens - t), s.n_in);
      const double stats_seconds = request.any() ? std::chrono::duration<double>(clock_type::now() - stats_started).count() : 0.0;
      auto instance = create_method(*p.manifest, services, p.params);
      if (!instance) return report_error("bench-methods", instance.error());
      std::vector<double> seconds;
      std::string format;
      double sparsity = 0.0, bits = 32.0;
      for (std::int64_t r = 0; r < repeats; ++r) {
        std::vector<float> w = weight;
        const auto started = clock_type::now();
        auto out = (*instance)->compress(layer_info{"layers.0.mlp.up_proj", 0}, matrix_f32{w.data(), s.n_out, s.n_in, s.n_in}, acc.view());
        seconds.push_back(std::chrono::duration<double>(clock_type::now() - started).count());
        if (!out) return report_error("bench-methods", out.error().with_context(fmt::format("method {} on {}x{}", p.manifest->name, s.n_out, s.n_in)));
        auto checked = check_method_output("layers.0.mlp.up_proj", s.n_out, s.n_in, *out, w, value_type::f32);
        if (!checked) return report_error("bench-methods", checked.error().with_context(fmt::format("method {}", p.manifest->name)));
        format = layout_name(checked->weight.layout);
        bits = checked->bits_per_weight;
        const std::int64_t zeros = checked->zeros;
        sparsity = static_cast<double>(zeros) / static_cast<double>(s.n_out * s.n_in);
      }
      std::sort(seconds.begin(), seconds.end());
      const double median = seconds[seconds.size() / 2];
      fmt::print("| {} | {}x{} | {:.2f} | {:.3f} | {} | {:.3f} | {:.2f} |\n", p.manifest->name, s.n_out, s.n_in, stats_seconds, median,
                 format, sparsity, bits);
      std::fflush(stdout);
      results.push_back({{"method", p.manifest->name}, {"n_out", s.n_out}, {"n_in", s.n_in}, {"tokens", n_tokens},
                         {"statistics_seconds", stats_seconds}, {"seconds", seconds}, {"median_seconds", median},
                         {"format", format}, {"sparsity", sparsity}, {"bits_per_weight", bits}});
    }
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << results.dump(2) << "\n";
    if (!out) {
      fmt::print(stderr, "kickhost bench-methods: error: cannot write '{}'\n", json_path);
      return k_exit_failure;
    }
  }
  return k_exit_ok;
}

}  // namespace kick::cli
