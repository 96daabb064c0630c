// kickhost compress --model M --method NAME [--set key=value]... --out DIR [calibration options]
#include <fmt/format.h>

#include <optional>

#include "cli/cli_support.h"
#include "core/model/model_loader.h"
#include "core/model/save_compressed_model.h"
#include "core/registry/plugin_instance.h"
#include "core/run/compress_model.h"
#include "core/run/console_host.h"
#include "core/run/model_session.h"
#include "core/run/run_plan.h"

namespace kick::cli {
namespace {

// The per-layer table of a compression block (compress_model's result).
std::string layer_table(const nlohmann::json& block) {
  std::string out = fmt::format("| {:<28} | {:<13} | {:>8} | {:>7} | {:>8} |\n", "layer", "format", "sparsity", "bits/w", "seconds");
  out += fmt::format("|{:-<30}|{:-<15}|{:->10}|{:->9}|{:->10}|\n", "", "", "", "", "");
  const auto number = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
  };
  if (block.contains("per_layer") && block["per_layer"].is_array()) {
    for (const auto& layer : block["per_layer"]) {
      out += fmt::format("| {:<28} | {:<13} | {:>8.4f} | {:>7.3f} | {:>8.3f} |\n", layer.value("name", std::string("?")),
                         layer.value("format", std::string("?")), number(layer, "achieved_sparsity"),
                         number(layer, "bits_per_weight"), number(layer, "seconds"));
    }
  }
  out += fmt::format("global sparsity {:.4f}, mean {:.3f} bits per weight over {} weights\n", number(block, "global_sparsity"),
                     number(block, "mean_bits_per_weight"),
                     block.contains("n_weights") && block["n_weights"].is_number_integer() ? block["n_weights"].get<std::int64_t>() : 0);
  return out;
}

// Checks the output directory before any work: not a file, and no sharded index to shadow the result.
status check_output_dir(const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_directory(out, ec))
    return fail(status_code::invalid_argument, fmt::format("--out {}: exists and is not a directory", out.string()));
  if (std::filesystem::exists(out / "model.safetensors.index.json", ec))
    return fail(status_code::failed_precondition,
                fmt::format("--out {}: holds a model.safetensors.index.json, which would shadow the saved model; choose an empty directory",
                            out.string()));
  return {};
}

}  // namespace

int cmd_compress(const args& a) {
  const std::string usage =
      "usage: kickhost compress --model M --method NAME [--set PARAM=VALUE]... --out DIR [--tokenizer T] [--format F]\n"
      "                         [--calibration-data FILE] [--nsamples N] [--seqlen N] [--calibration-seed N]\n"
      "                         [--sampling windows|blocks] [--propagate compressed|dense] [--true-sequential]\n"
      "                         [--plugin-dir D]... [--log-level LEVEL]\n"
      "Compresses every linear layer of a model with a method plugin and saves the result as a model\n"
      "directory (config.json, model.safetensors with the compressed formats and the method metadata,\n"
      "tokenizer) that `kickhost run`, `inspect` and `generate` load like any model.";
  po::options_description options("options");
  std::string model_path, tokenizer_path, format_name = "auto", method_name, out, calibration_data, sampling, propagate, log_level_name;
  std::vector<std::string> sets, plugin_dirs;
  std::int64_t nsamples = 0, seqlen = 0, calibration_seed = 0;
  options.add_options()("model", po::value(&model_path)->required(), "model file or HuggingFace directory")(
      "method", po::value(&method_name)->required(), "method plugin")(
      "set", po::value(&sets)->composing(), "method parameter PARAM=VALUE (repeatable)")(
      "out,o", po::value(&out)->required(), "output directory of the compressed model")(
      "tokenizer", po::value(&tokenizer_path), "tokenizer to use (and save) instead of the model's own")(
      "format", po::value(&format_name), "model format: auto (default), hf, gguf, llama2c")(
      "calibration-data", po::value(&calibration_data), "calibration text file or JSONL (\"text\" per line)")(
      "nsamples", po::value(&nsamples), "calibration sequences (default: the method's, else 128)")(
      "seqlen", po::value(&seqlen), "tokens per calibration sequence (default: the method's, else 2048, capped by the context)")(
      "calibration-seed", po::value(&calibration_seed), "seed of the calibration draw (default: the method's, else 0)")(
      "sampling", po::value(&sampling), "windows | blocks (default: the method's, else windows)")(
      "propagate", po::value(&propagate), "compressed | dense: what feeds the next block (default: the method's, else compressed)")(
      "true-sequential", po::bool_switch(), "statistics of q/k/v, o, gate/up, down in turn (the references' --true-sequential)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)")(
      "log-level", po::value(&log_level_name), "debug | info | warn | error");
  po::positional_options_description positional;
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, positional, vm, exit_code)) return exit_code;

  console_host services;
  if (!apply_log_level("compress", log_level_name, services)) return k_exit_usage;

  // Everything cheap is checked before the model is loaded: the method and its params, the
  // calibration settings, the output directory, the tokenizer to carry.
  auto method_plan = resolve_cli_plugin(plugin_dirs, "method", method_name, sets, "--method");
  if (!method_plan) return report_error("compress", method_plan.error());
  const plugin_manifest& manifest = *method_plan->manifest;
  calibration_settings settings;
  settings.data = calibration_data;
  if (vm.count("nsamples") != 0) settings.nsamples = nsamples;
  if (vm.count("seqlen") != 0) settings.seqlen = seqlen;
  if (vm.count("calibration-seed") != 0) settings.seed = calibration_seed;
  if (!sampling.empty()) settings.sampling = sampling;
  if (!propagate.empty()) settings.propagate = propagate;
  if (vm["true-sequential"].as<bool>()) settings.true_sequential = true;
  const calibration_options calibration = resolve_calibration(manifest, settings);
  if (status s = check_calibration(manifest, calibration, "kickhost compress"); !s.ok()) return report_error("compress", s);
  if (!calibration.data.empty() && !std::filesystem::exists(calibration.data))
    return report_error("compress", fail(status_code::not_found, fmt::format("--calibration-data '{}' not found", calibration.data.string())));
  if (status s = check_output_dir(out); !s.ok()) return report_error("compress", s);
  if (status s = check_tokenizer_exportable(tokenizer_path); !s.ok()) return report_error("compress", s);
  auto format = parse_model_format(format_name);
  if (!format) return report_error("compress", format.error().with_context("--format"));

  services.log(log_level::info, fmt::format("loading model {}", model_path));
  auto model = load_model(model_path, *format);
  if (!model) return report_error("compress", model.error());
  const std::filesystem::path tokenizer_source = tokenizer_path.empty() ? model->tokenizer_path : std::filesystem::path(tokenizer_path);
  if (status s = check_tokenizer_exportable(tokenizer_source); !s.ok()) return report_error("compress", s);
  auto tok = resolve_tokenizer(*model, tokenizer_path);
  if (!tok) return report_error("compress", tok.error());

  services.set_context(fmt::format("method {}", manifest.name));
  auto method = create_method(manifest, services, method_plan->params);
  if (!method) return report_error("compress", method.error());
  services.log(log_level::info, fmt::format("compressing with method {}", manifest.name));
  auto block = compress_model(*model, **tok, **method, manifest, params_to_json(method_plan->params), calibration, services);
  services.set_context("");
  if (!block) return report_error("compress", block.error().with_context(fmt::format("method {}", manifest.name)));

  if (status s = save_compressed_model(*model, out, tokenizer_source); !s.ok()) return report_error("compress", s);
  fmt::print("{}", layer_table(*block));
  fmt::print("\nsaved: {}\n", out);
  return k_exit_ok;
}

}  // namespace kick::cli
