// kickhost bench kernels: every weight format's linear kernel on one or more backends, at the
// test model's shapes and Llama-7B shapes, against each device's measured copy bandwidth.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_support.h"
#include "core/bench/fma_peak.h"
#include "core/bench/openblas_kernels.h"
#include "core/bench/read_bandwidth.h"
#include "core/bench/synthetic_weights.h"
#include "core/registry/plugin_instance.h"
#include "core/run/console_host.h"
#include "kick/backend.h"

namespace kick::cli {
namespace {

using shape = matrix_shape;

struct kernel_row {
  std::string backend, format, kernel;
  shape s;
  std::int64_t tokens = 0;
  double bits_per_weight = 0, median_seconds = 0, min_seconds = 0;
  std::int64_t weight_bytes = 0;
  double gbps = 0, gflops = 0, fraction_of_copy = 0, speedup_vs_f16 = 0, ideal_vs_f16 = 0;
  double fraction_of_read = -1;  // of the CPU's measured read bandwidth: cpu backend rows with tokens <= 8; -1 otherwise
  double fraction_of_fma = -1;  // of the CPU's measured FMA peak: cpu backend rows with tokens > 8; -1 otherwise
  std::vector<double> round_seconds;  // each round's median
};

// Rows with more tokens than this are matrix products, compared with the FMA peak.
constexpr std::int64_t k_fma_min_tokens = 8;

struct bench_backend {
  std::string name, description;
  plugin_instance<backend> instance;
  double copy_bytes_per_s = 0;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

result<std::vector<shape>> parse_shapes(const std::string& text) {
  std::vector<shape> out;
  for (const std::string& item : split(text)) {
    if (item == "test") {  // the kickworld test model: attention, ffn up/gate, ffn down, output
      out.insert(out.end(), {{192, 192}, {512, 192}, {192, 512}, {3072, 192}});
    } else if (item == "7b") {
      out.insert(out.end(), {{4096, 4096}, {11008, 4096}, {4096, 11008}});
    } else {
      const std::optional<matrix_shape> s = parse_matrix_shape(item);
      if (!s) {
        return fail(status_code::invalid_argument, fmt::format("--shapes: '{}' is not test, 7b or ROWSxCOLS (sizes in [1, 65536])", item));
      }
      out.push_back(*s);
    }
  }
  if (out.empty()) return fail(status_code::invalid_argument, "--shapes names no shape");
  return out;
}

void print_table(const std::vector<bench_backend>& backends, const std::vector<kernel_row>& rows, const read_bandwidth& read,
                 const fma_peak& peak) {
  for (const bench_backend& b : backends) {
    fmt::print("backend {}: {}\n  measured copy bandwidth {:.1f} GB/s (read + write)\n", b.name, b.description, b.copy_bytes_per_s * 1e-9);
  }
  if (read.bytes_per_s > 0) {
    fmt::print("cpu read bandwidth: {:.1f} GB/s measured (sum of 1 GiB, {} threads); '% read' of cpu rows with at most {} tokens\n",
               read.bytes_per_s * 1e-9, read.threads, k_fma_min_tokens);
  }
  if (peak.gflops > 0) {
    fmt::print("cpu f32 FMA peak: {:.1f} GFLOP/s measured ({}, {} threads); '% FMA' of rows with more than {} tokens\n", peak.gflops,
               peak.isa, peak.threads, k_fma_min_tokens);
    if (const std::string note = openblas_kernels_note(); !note.empty()) fmt::print("{}\n", note);
  }
  fmt::print("\n{:<8} {:>12} {:>6} {:<19} {:>6} {:>9} {:>10} {:>8} {:>7} {:>6} {:>9} {:>6} {:>7} {:>7}  {}\n", "backend", "shape",
             "tokens", "format", "bits/w", "MiB read", "median ms", "GB/s", "% copy", "% read", "GFLOP/s", "% FMA", "vs f16", "ideal", "kernel");
  const auto percent = [](double fraction) { return fraction >= 0 ? fmt::format("{:.0f}%", 100.0 * fraction) : std::string("n/a"); };
  for (const kernel_row& r : rows) {
    fmt::print("{:<8} {:>12} {:>6} {:<19} {:>6.2f} {:>9.2f} {:>10.3f} {:>8.2f} {:>6.0f}% {:>6} {:>9.2f} {:>6} {:>6.2f}x {:>6.2f}x  {}\n",
               r.backend, fmt::format("{}x{}", r.s.rows, r.s.cols), r.tokens, r.format, r.bits_per_weight,
               static_cast<double>(r.weight_bytes) / (1 << 20), r.median_seconds * 1e3, r.gbps, 100.0 * r.fraction_of_copy,
               percent(r.fraction_of_read), r.gflops, percent(r.fraction_of_fma), r.speedup_vs_f16, r.ideal_vs_f16, r.kernel);
  }
}

nlohmann::json to_json(const std::vector<bench_backend>& backends, const std::vector<kernel_row>& rows, const read_bandwidth& read,
                       const fma_peak& peak, int rounds) {
  nlohmann::json j;
  j["rounds"] = rounds;
  j["cpu_read_bandwidth"] = read.bytes_per_s > 0 ? nlohmann::json{{"gb_per_s", read.bytes_per_s * 1e-9}, {"threads", read.threads}}
                                                 : nlohmann::json(nullptr);
  j["cpu_fma_peak"] = peak.gflops > 0 ? nlohmann::json{{"gflop_per_s", peak.gflops}, {"isa", peak.isa}, {"threads", peak.threads},
                                                       {"openblas_kernels", openblas_kernels()}}
                                      : nlohmann::json(nullptr);
  j["backends"] = nlohmann::json::array();
  for (const bench_backend& b : backends) j["backends"].push_back({{"name", b.name}, {"device", b.description}, {"copy_gb_per_s", b.copy_bytes_per_s * 1e-9}});
  j["rows"] = nlohmann::json::array();
  for (const kernel_row& r : rows) {
    j["rows"].push_back({{"backend", r.backend}, {"rows", r.s.rows}, {"cols", r.s.cols}, {"tokens", r.tokens}, {"format", r.format},
                         {"kernel", r.kernel}, {"bits_per_weight", r.bits_per_weight}, {"weight_bytes", r.weight_bytes},
                         {"median_seconds", r.median_seconds}, {"min_seconds", r.min_seconds}, {"gb_per_s", r.gbps},
                         {"fraction_of_copy_bandwidth", r.fraction_of_copy}, {"gflop_per_s", r.gflops},
                         {"speedup_vs_f16", r.speedup_vs_f16}, {"ideal_speedup_vs_f16", r.ideal_vs_f16},
                         {"fraction_of_read_bandwidth", r.fraction_of_read >= 0 ? nlohmann::json(r.fraction_of_read) : nlohmann::json(nullptr)},
                         {"fraction_of_fma_peak", r.fraction_of_fma >= 0 ? nlohmann::json(r.fraction_of_fma) : nlohmann::json(nullptr)},
                         {"round_median_seconds", r.round_seconds}});
  }
  return j;
}

}  // namespace

int cmd_bench_kernels(const args& a) {
  const std::string usage =
      "usage: kickhost bench kernels [--backend NAME]... [--set BACKEND.PARAM=VALUE]... [--shapes test,7b,RxC]\n"
      "                              [--tokens 1,8,512] [--formats all|F,F,...] [--warmup N] [--repeats N] [--rounds N]\n"
      "                              [--json FILE] [--plugin-dir DIR]...\n"
      "Times y = x W^T for every weight format on each backend (default: cpu and vulkan when present) at the\n"
      "test model's shapes and Llama-7B shapes, after measuring each device's copy bandwidth. Reports the\n"
      "median time, GB/s of weights read, the fraction of the copy bandwidth, GFLOP/s, and the speedup over\n"
      "dense f16 beside the ideal ratio (f16 bytes / the format's bytes, both as this backend stores them).\n"
      "With the cpu backend and more than 8 tokens, also the fraction of the CPU's measured f32 FMA peak.\n"
      "Formats: " +
      fmt::format("{}.", fmt::join(kernel_format_names(), " "));
  po::options_description options("options");
  std::vector<std::string> backend_names, sets, plugin_dirs;
  std::string shapes_text = "test,7b", tokens_text = "1,8,512", formats_text = "all", json_path;
  int warmup = 2, repeats = 5, rounds = 1;
  options.add_options()("backend", po::value(&backend_names)->composing(), "backend plugin (repeatable; default cpu and vulkan)")(
      "set", po::value(&sets)->composing(), "backend parameter: BACKEND.PARAM=VALUE (repeatable)")(
      "shapes", po::value(&shapes_text), "weight shapes: test, 7b or ROWSxCOLS, comma-separated (default test,7b)")(
      "tokens", po::value(&tokens_text), "activation rows per product, comma-separated (default 1,8,512)")(
      "formats", po::value(&formats_text), "formats to time, comma-separated, or all (default); f16 is always timed as the baseline")(
      "warmup", po::value(&warmup), "untimed products before timing (default 2)")("repeats", po::value(&repeats), "timed products (default 5)")(
      "rounds", po::value(&rounds), "times every format this many times, in turn (default 1); rows report medians over rounds")(
      "json", po::value(&json_path), "also write the results as JSON to FILE")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  const auto bad = [](std::string message) { return report_error("bench kernels", status(status_code::invalid_argument, std::move(message))); };
  if (warmup < 0 || warmup > 100) return bad(fmt::format("--warmup {} is outside [0, 100]", warmup));
  if (repeats < 1 || repeats > 1000) return bad(fmt::format("--repeats {} is outside [1, 1000]", repeats));
  if (rounds < 1 || rounds > 50) return bad(fmt::format("--rounds {} is outside [1, 50]", rounds));
  auto shapes = parse_shapes(shapes_text);
  if (!shapes) return report_error("bench kernels", shapes.error());
  std::vector<std::int64_t> tokens;
  for (const std::string& t : split(tokens_text)) {
    std::size_t used = 0;
    std::int64_t n = 0;
    try {
      n = std::stoll(t, &used);
    } catch (...) {
      used = 0;
    }
    if (used != t.size() || n < 1 || n > 4096) return bad(fmt::format("--tokens: '{}' is not a count in [1, 4096]", t));
    tokens.push_back(n);
  }
  if (tokens.empty()) return bad("--tokens names no count");
  std::vector<std::string> formats = formats_text == "all" ? kernel_format_names() : split(formats_text);
  for (const std::string& f : formats) {
    const auto& known = kernel_format_names();
    if (std::find(known.begin(), known.end(), f) == known.end()) return bad(fmt::format("--formats: unknown format '{}' (known: {})", f, fmt::join(known, ", ")));
  }
  if (std::find(formats.begin(), formats.end(), "f16") == formats.end()) formats.insert(formats.begin(), "f16");

  const bool explicit_backends = !backend_names.empty();
  if (!explicit_backends) backend_names = {"cpu", "vulkan"};
  std::map<std::string, std::vector<std::string>> backend_sets;
  for (const std::string& s : sets) {
    const std::size_t dot = s.find('.');
    if (dot == std::string::npos || dot == 0) return bad(fmt::format("--set '{}' is not BACKEND.PARAM=VALUE", s));
    backend_sets[s.substr(0, dot)].push_back(s.substr(dot + 1));
  }
  console_host services(log_level::warn);
  std::vector<bench_backend> backends;
  for (const std::string& name : backend_names) {
    auto chosen = resolve_cli_backend(plugin_dirs, name, backend_sets[name]);
    auto made = chosen ? create_backend(*chosen->manifest, services, chosen->params) : result<plugin_instance<backend>>(std::unexpected(chosen.error()));
    if (!made) {
      if (explicit_backends) return report_error("bench kernels", made.error());
      fmt::print(stderr, "bench kernels: skipping backend {}: {}\n", name, made.error().message());
      continue;
    }
    bench_backend b{name, (*made)->describe(), std::move(*made), 0.0};
    fmt::print(stderr, "bench kernels: {}: measuring copy bandwidth\n", name);
    auto bw = b.instance->copy_bandwidth();
    if (!bw) return report_error("bench kernels", bw.error().with_context(name));
    b.copy_bytes_per_s = *bw;
    backends.push_back(std::move(b));
  }
  if (backends.empty()) return report_error("bench kernels", status(status_code::unavailable, "no backend could be created"));
  read_bandwidth read;
  fma_peak peak;
  const bool has_cpu = std::any_of(backends.begin(), backends.end(), [](const bench_backend& b) { return b.name == "cpu"; });
  if (has_cpu && std::any_of(tokens.begin(), tokens.end(), [](std::int64_t n) { return n > k_fma_min_tokens; })) {
    fmt::print(stderr, "bench kernels: measuring the cpu's f32 FMA peak\n");
    peak = measure_fma_peak();
  }
  if (has_cpu && std::any_of(tokens.begin(), tokens.end(), [](std::int64_t n) { return n <= k_fma_min_tokens; })) {
    fmt::print(stderr, "bench kernels: measuring the cpu's read bandwidth\n");
    read = measure_read_bandwidth();
  }

  // Each round times every (format, tokens, backend) once, starting at a different format each
  // round; a row reports the median over rounds, and its speedup over f16 is the median of the
  // rounds' ratios, so that slow drifts of a shared machine fall on both sides of each ratio.
  std::vector<kernel_row> rows;
  for (const shape& s : *shapes) {
    std::vector<synthetic_weight> weights;
    for (const std::string& format : formats) {
      // Sparse values in f16, as `kickhost compress` keeps them for an f16 model (the baseline).
      auto weight = make_synthetic_weight(format, s.rows, s.cols, 7, value_type::f16);
      if (!weight) {
        fmt::print(stderr, "bench kernels: {} at {}x{}: {}\n", format, s.rows, s.cols, weight.error().message());
        continue;
      }
      weights.push_back(std::move(*weight));
    }
    const std::size_t first_row = rows.size();
    for (int round = 0; round < rounds; ++round) {
      for (std::size_t i = 0; i < weights.size(); ++i) {
        const std::size_t w = (i + static_cast<std::size_t>(round)) % weights.size();
        for (std::size_t ti = 0; ti < tokens.size(); ++ti) {
          for (std::size_t bi = 0; bi < backends.size(); ++bi) {
            bench_backend& b = backends[bi];
            const std::int64_t n = tokens[ti];
            const std::string& format = weights[w].format;
            fmt::print(stderr, "bench kernels: {} {}x{} x{} {}{}\n", b.name, s.rows, s.cols, n, format,
                       rounds > 1 ? fmt::format(" (round {}/{})", round + 1, rounds) : "");
            auto t = b.instance->time_linear(weights[w].view(), n, warmup, repeats);
            if (!t) return report_error("bench kernels", t.error().with_context(fmt::format("{} {} {}x{} x{}", b.name, format, s.rows, s.cols, n)));
            const std::size_t row = first_row + (w * tokens.size() + ti) * backends.size() + bi;
            if (round == 0) {
              rows.resize(std::max(rows.size(), row + 1));
              // Bits per weight as this backend stores the format (a backend may keep its own layout).
              const double stored_bits = 8.0 * static_cast<double>(t->weight_bytes) / static_cast<double>(s.rows * s.cols);
              kernel_row& first = rows[row];
              first.backend = b.name;
              first.format = format;
              first.kernel = t->kernel;
              first.s = s;
              first.tokens = n;
              first.bits_per_weight = stored_bits;
              first.min_seconds = t->min_seconds;
              first.weight_bytes = t->weight_bytes;
            }
            rows[row].min_seconds = std::min(rows[row].min_seconds, t->min_seconds);
            rows[row].round_seconds.push_back(t->median_seconds);
          }
        }
      }
    }
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  };
  for (kernel_row& r : rows) {
    r.median_seconds = median(r.round_seconds);
    r.gbps = static_cast<double>(r.weight_bytes) / r.median_seconds * 1e-9;
    r.gflops = 2.0 * static_cast<double>(r.s.rows * r.s.cols * r.tokens) / r.median_seconds * 1e-9;
    const bench_backend& b = *std::find_if(backends.begin(), backends.end(), [&](const bench_backend& x) { return x.name == r.backend; });
    r.fraction_of_copy = b.copy_bytes_per_s > 0 ? r.gbps * 1e9 / b.copy_bytes_per_s : 0.0;
    if (b.name == "cpu" && r.tokens > k_fma_min_tokens && peak.gflops > 0) r.fraction_of_fma = r.gflops / peak.gflops;
    if (b.name == "cpu" && r.tokens <= k_fma_min_tokens && read.bytes_per_s > 0) r.fraction_of_read = r.gbps * 1e9 / read.bytes_per_s;
  }
  for (kernel_row& r : rows) {
    for (const kernel_row& base : rows) {
      if (base.format == "f16" && base.backend == r.backend && base.tokens == r.tokens && base.s.rows == r.s.rows && base.s.cols == r.s.cols) {
        std::vector<double> ratios;
        for (std::size_t k = 0; k < r.round_seconds.size(); ++k) ratios.push_back(base.round_seconds[k] / r.round_seconds[k]);
        r.speedup_vs_f16 = median(ratios);
        r.ideal_vs_f16 = static_cast<double>(base.weight_bytes) / static_cast<double>(r.weight_bytes);
      }
    }
  }
  print_table(backends, rows, read, peak);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << to_json(backends, rows, read, peak, rounds).dump(2) << "\n";
    if (!out) return report_error("bench kernels", status(status_code::invalid_argument, fmt::format("cannot write {}", json_path)));
  }
  return k_exit_ok;
}

}  // namespace kick::cli
