// kickhost compress-layer --method NAME [--set key=value]... --weight W.safetensors
//                         --inputs X.safetensors --out OUT.safetensors [--layer-name NAME]
// Runs one method plugin on one linear layer with given calibration activations, so that a
// method can be compared with any other implementation on the same data (for plugin authors).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/cli_support.h"
#include "core/calibrate/layer_statistics.h"
#include "core/model/layout_tensors.h"
#include "core/model/safetensors_file.h"
#include "core/model/safetensors_writer.h"
#include "core/registry/plugin_instance.h"
#include "core/run/console_host.h"
#include "core/run/run_plan.h"
#include "kick/convert.h"
#include "kick/format_codec.h"

namespace kick::cli {

namespace {

// A tensor read into f32, with its shape.
struct f32_tensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

// Reads tensor `name` of `file` as f32. `accept_half` also converts F16/BF16. The rank must be
// `rank`; every dimension must be positive. Errors name the file and the tensor.
result<f32_tensor> read_tensor(const safetensors_file& file, const std::string& name, std::size_t rank, bool accept_half) {
  const std::string where = fmt::format("{}: tensor '{}'", file.path().string(), name);
  const safetensors_tensor* t = file.find(name);
  if (t == nullptr) {
    std::string present;
    for (const auto& [n, unused] : file.tensors()) {
      if (!present.empty()) present.append(", ");
      present.append(n);
    }
    return fail(status_code::not_found,
                fmt::format("{}: no tensor '{}' (the file holds: {})", file.path().string(), name, present.empty() ? "nothing" : present));
  }
  const bool is_f32 = t->type == dtype::f32;
  const bool is_half = t->type == dtype::f16 || t->type == dtype::bf16;
  if (!is_f32 && !(accept_half && is_half)) {
    return fail(status_code::invalid_argument,
                fmt::format("{} has dtype {}, expected {}", where, t->dtype_name, accept_half ? "F32, F16 or BF16" : "F32"));
  }
  if (t->shape.size() != rank) {
    return fail(status_code::invalid_argument, fmt::format("{} has rank {} (shape [{}]), expected rank {}", where, t->shape.size(),
                                                           fmt::join(t->shape, ", "), rank));
  }
  std::int64_t n = 1;
  for (std::int64_t d : t->shape) {
    if (d <= 0) return fail(status_code::invalid_argument, fmt::format("{} has an empty dimension (shape [{}])", where, fmt::join(t->shape, ", ")));
    n *= d;  // safetensors_file checked shape x dtype size against the data, so this cannot overflow
  }
  f32_tensor out{t->shape, std::vector<float>(static_cast<std::size_t>(n))};
  if (is_f32) {
    std::memcpy(out.values.data(), t->data, static_cast<std::size_t>(n) * sizeof(float));
  } else {
    std::vector<std::uint16_t> raw(static_cast<std::size_t>(n));
    std::memcpy(raw.data(), t->data, raw.size() * sizeof(std::uint16_t));
    dequantize_row(*t->type, raw.data(), out.values.data(), n);
  }
  for (std::size_t i = 0; i < out.values.size(); ++i) {
    if (!std::isfinite(out.values[i])) return fail(status_code::invalid_argument, fmt::format("{} holds a NaN/Inf at flat index {}", where, i));
  }
  return out;
}

// The decoder block of a layer name "layers.N.…" (0 when the name does not say).
std::int64_t block_of(const std::string& layer_name) {
  constexpr std::string_view prefix = "layers.";
  if (!layer_name.starts_with(prefix)) return 0;
  std::int64_t block = 0;
  for (std::size_t i = prefix.size(); i < layer_name.size() && layer_name[i] >= '0' && layer_name[i] <= '9'; ++i) {
    block = block * 10 + (layer_name[i] - '0');
    if (block > (1 << 30)) return 0;
  }
  return block;
}

struct layer_inputs {
  f32_tensor weight;               // [n_out, n_in]
  std::optional<f32_tensor> bias;  // [n_out]
  f32_tensor inputs;               // [n_samples, seq_len, n_in]
};

result<layer_inputs> read_layer_inputs(const std::string& weight_path, const std::string& inputs_path) {
  auto weight_file = safetensors_file::open(weight_path);
  if (!weight_file) return std::unexpected(weight_file.error().with_context("--weight"));
  auto inputs_file = safetensors_file::open(inputs_path);
  if (!inputs_file) return std::unexpected(inputs_file.error().with_context("--inputs"));
  layer_inputs out;
  auto weight = read_tensor(*weight_file, "weight", 2, true);
  if (!weight) return std::unexpected(weight.error());
  out.weight = std::move(*weight);
  const std::int64_t n_out = out.weight.shape[0], n_in = out.weight.shape[1];
  if (weight_file->find("bias") != nullptr) {
    auto bias = read_tensor(*weight_file, "bias", 1, true);
    if (!bias) return std::unexpected(bias.error());
    if (bias->shape[0] != n_out) {
      return fail(status_code::invalid_argument, fmt::format("{}: tensor 'bias' has {} entries but 'weight' has {} rows",
                                                             weight_path, bias->shape[0], n_out));
    }
    out.bias = std::move(*bias);
  }
  auto inputs = read_tensor(*inputs_file, "inputs", 3, false);
  if (!inputs) return std::unexpected(inputs.error());
  out.inputs = std::move(*inputs);
  if (out.inputs.shape[2] != n_in) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: tensor 'inputs' [{}] has {} input features but {}: tensor 'weight' [{}, {}] has {} columns",
                            inputs_path, fmt::join(out.inputs.shape, ", "), out.inputs.shape[2], weight_path, n_out, n_in, n_in));
  }
  return out;
}

struct layer_result {
  compressed_weight compressed;
  std::vector<float> dense;  // the result densified [n_out, n_in]
  double bits_per_weight = 32.0;
  std::int64_t zeros = 0;  // exact zeros of `dense`
  double seconds = 0.0;
  std::string notes;
};

// Statistics exactly as the host's calibration makes them (one add_sequence per sample), then
// the method, then the layout checked and densified.
result<layer_result> run_method(const cli_plugin& plugin, const layer_inputs& in, const std::string& layer_name) {
  const std::int64_t n_out = in.weight.shape[0], n_in = in.weight.shape[1];
  const std::int64_t n_samples = in.inputs.shape[0], seq_len = in.inputs.shape[1];
  layer_statistics acc(n_in, statistics_request::from_needs(plugin.manifest->needs));
  for (std::int64_t s = 0; s < n_samples; ++s) acc.add_sequence(in.inputs.values.data() + s * seq_len * n_in, seq_len, n_in);
  const layer_stats stats = acc.view();

  console_host services;
  services.set_context(fmt::format("method {}", plugin.manifest->name));
  auto m = create_method(*plugin.manifest, services, plugin.params);
  if (!m) return std::unexpected(m.error());
  layer_result out;
  out.dense = in.weight.values;
  const layer_info info{layer_name, block_of(layer_name)};
  const auto started = std::chrono::steady_clock::now();
  auto output = (*m)->compress(info, matrix_f32{out.dense.data(), n_out, n_in, n_in}, stats);
  if (!output) return std::unexpected(output.error().with_context(layer_name));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The method's values exactly as it computed them (f32), whatever the weight's dtype: this
  // command exists to compare one method's output with a reference implementation's.
  auto checked = check_method_output(layer_name, n_out, n_in, *output, out.dense, value_type::f32);
  if (!checked) return std::unexpected(checked.error());
  out.compressed = std::move(checked->weight);
  out.bits_per_weight = checked->bits_per_weight;
  out.zeros = checked->zeros;
  out.notes = output->notes;
  return out;
}

status write_result(const std::string& path, const cli_plugin& plugin, const layer_inputs& in, const layer_result& r,
                    const std::string& layer_name) {
  const std::int64_t n_out = in.weight.shape[0], n_in = in.weight.shape[1];
  std::vector<safetensors_out_tensor> tensors;
  tensors.push_back(make_out_tensor("weight", "F32", {n_out, n_in}, r.dense));
  if (in.bias) tensors.push_back(make_out_tensor("bias", "F32", {n_out}, in.bias->values));
  std::map<std::string, std::string> metadata;
  if (!std::holds_alternative<dense_layout>(r.compressed.layout)) {
    auto layout = layout_tensors(r.compressed, layer_name);
    if (!layout) return layout.error();
    for (auto& t : *layout) tensors.push_back(std::move(t));
    metadata[k_layouts_metadata_key] = nlohmann::json{{layer_name, layout_descriptor(r.compressed)}}.dump();
  }
  nlohmann::json about = {{"method", plugin.manifest->name},
                          {"params", params_to_json(plugin.params)},
                          {"layer", layer_name},
                          {"format", layout_name(r.compressed.layout)},
                          {"bits_per_weight", r.bits_per_weight}};
  if (!r.notes.empty()) about["notes"] = r.notes;
  metadata[k_compression_metadata_key] = about.dump();
  return write_safetensors(path, tensors, metadata);
}

}  // namespace

int cmd_compress_layer(const args& a) {
  const std::string usage =
      "usage: kickhost compress-layer --method NAME [--set PARAM=VALUE]... --weight W.safetensors\n"
      "                               --inputs X.safetensors --out OUT.safetensors [--layer-name NAME]\n"
      "                               [--plugin-dir DIR]...\n"
      "Runs one method on one linear layer: W.safetensors holds 'weight' [out, in] (F32, F16 or BF16;\n"
      "an optional 'bias' [out] passes through), X.safetensors holds 'inputs' [n_samples, seq_len, in]\n"
      "(F32, one calibration sequence per sample). Writes OUT.safetensors with 'weight' (the result,\n"
      "densified, F32) and the layout's tensors named <layer-name>.<part> (see docs/cli.md).";
  po::options_description options("options");
  std::string method_name, weight_path, inputs_path, out_path, layer_name = "layers.0.mlp.down_proj";
  std::vector<std::string> sets, plugin_dirs;
  options.add_options()("method", po::value(&method_name)->required(), "method plugin name")(
      "set", po::value(&sets)->composing(), "method parameter PARAM=VALUE (repeatable)")(
      "weight", po::value(&weight_path)->required(), "safetensors file with 'weight' [out, in] (and optional 'bias')")(
      "inputs", po::value(&inputs_path)->required(), "safetensors file with 'inputs' [n_samples, seq_len, in]")(
      "out", po::value(&out_path)->required(), "output safetensors file")(
      "layer-name", po::value(&layer_name), "layer name the method sees (default layers.0.mlp.down_proj)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  if (layer_name.empty()) return report_error("compress-layer", fail(status_code::invalid_argument, "--layer-name is empty"));

  auto plugin = resolve_cli_plugin(plugin_dirs, "method", method_name, sets, "--method");
  if (!plugin) return report_error("compress-layer", plugin.error());
  auto in = read_layer_inputs(weight_path, inputs_path);
  if (!in) return report_error("compress-layer", in.error());
  auto r = run_method(*plugin, *in, layer_name);
  if (!r) return report_error("compress-layer", r.error());
  if (status s = write_result(out_path, *plugin, *in, *r, layer_name); !s.ok()) return report_error("compress-layer", s);

  fmt::print("{} {} [{}, {}]: {} layout, sparsity {:.4f}, {:.3f} bits/weight, {:.3f} s{}\nwrote {}\n", method_name, layer_name,
             in->weight.shape[0], in->weight.shape[1], layout_name(r->compressed.layout),
             static_cast<double>(r->zeros) / static_cast<double>(r->dense.size()), r->bits_per_weight, r->seconds,
             r->notes.empty() ? "" : fmt::format(" ({})", r->notes), out_path);
  return k_exit_ok;
}

}  // namespace kick::cli
