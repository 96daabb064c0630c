// Compressing a loaded model with a method plugin, block by block, with calibration.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model/model_loader.h"
#include "core/registry/plugin_manifest.h"
#include "core/tokenizer/tokenizer.h"
#include "kick/host.h"
#include "kick/method.h"

namespace kick {

// The names of a block's linear layers, in linear_slot order (HF naming).
inline constexpr const char* k_linear_layer_names[] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

// Calibration settings as a user gives them ([compress.calibration] or kickhost compress flags);
// unset ones come from the method's manifest ([method.calibration]), then the host defaults.
struct calibration_settings {
  std::filesystem::path data;  // text file, or JSONL with a "text" field per line
  std::optional<std::int64_t> nsamples;
  std::optional<std::int64_t> seqlen;
  std::optional<std::int64_t> seed;
  std::optional<std::string> sampling;   // windows | blocks
  std::optional<std::string> propagate;  // compressed | dense
  std::optional<bool> true_sequential;
};

// Resolved calibration. Host defaults: 128 x 2048 (seqlen capped by the model's context),
// seed 0, "windows", "compressed", not true-sequential (the references' defaults).
struct calibration_options {
  std::filesystem::path data;
  std::int64_t nsamples = 128;
  std::int64_t seqlen = 2048;
  std::int64_t seed = 0;
  std::string sampling = "windows";
  std::string propagate = "compressed";
  bool true_sequential = false;
};

// A method's result for one layer, checked: `weight` is its layout, and the scratch `values`
// [n_rows * n_cols] the method was given now hold the layer densified.
struct checked_layer {
  compressed_weight weight;
  double bits_per_weight = 32.0;  // measured from the layout; for dense_layout, what the method declared
  std::int64_t zeros = 0;         // exact zeros in the densified layer
};

// Checks the layout (check_layout: a malformed one is an internal error naming `layer`), rounds
// a sparse layout's values to `sparse_values` (the precision of the layer the method replaced),
// densifies it into `values` unless it is dense, refuses NaN/Inf (failed_precondition), and
// counts zeros.
result<checked_layer> check_method_output(const std::string& layer, std::int64_t n_rows, std::int64_t n_cols, method_output& output,
                                          std::span<float> values, value_type sparse_values);

calibration_options resolve_calibration(const plugin_manifest& method_manifest, const calibration_settings& settings);

// Checks, before any heavy work, that a method that needs statistics has calibration data and
// that the settings are in range (nsamples >= 1, seqlen >= 2). Errors name `where`.
status check_calibration(const plugin_manifest& method_manifest, const calibration_options& options, const std::string& where);

// Compresses every linear layer of `model` with `m`, block 0 first. Methods that need
// statistics get them from the sequential procedure (compress_calibrated.cpp); others see each
// layer alone. Compressed layers end up owned by `model` (owned_compressed / owned_buffers) and
// the view points at them; model.compression_json is set to the returned block, which is the
// `compression` object of results.json: method, params, calibration, per_layer, global_sparsity,
// mean_bits_per_weight, n_weights, kick_version.
result<nlohmann::json> compress_model(loaded_model& model, const tokenizer& tok, method& m, const plugin_manifest& manifest,
                                      const nlohmann::json& params, const calibration_options& calibration, const host& services);

}  // namespace kick
