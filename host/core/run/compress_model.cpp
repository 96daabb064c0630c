#include "core/run/compress_model.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "core/calibrate/block_forward.h"
#include "core/calibrate/calibration_data.h"
#include "core/calibrate/layer_statistics.h"
#include "core/util/release_pages.h"
#include "kick/format_codec.h"

#ifndef KICK_VERSION
#define KICK_VERSION "unknown"
#endif

namespace kick {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct totals {
  std::int64_t weights = 0;
  double zeros = 0.0;
  double bits = 0.0;
};

// [n_rows, n_cols] of a block's linear layer, compressed or not.
std::pair<std::int64_t, std::int64_t> linear_shape(const layer_tensors& layer, std::size_t slot) {
  if (const compressed_weight* c = layer.compressed[slot]) return {c->n_rows, c->n_cols};
  const tensor_view& v = layer.linear(static_cast<linear_slot>(slot));
  return {v.n_rows(), v.n_cols()};
}

// The pages of a replaced weight that lie in one of the model's mapped files leave the process's
// resident set (read again from the file if ever needed), so that compressing a large model does
// not hold both its source and its compressed layers resident.
void release_replaced_weight(const loaded_model& model, const tensor_view& view) {
  if (view.empty() || view.data == nullptr) return;
  const std::span<const std::byte> bytes(static_cast<const std::byte*>(view.data),
                                         static_cast<std::size_t>(view.n_rows() * view.row_stride_bytes()));
  for (const auto& file : model.files) release_mapped_pages(*file, bytes);
}

// The precision a sparse layout replacing a linear layer keeps its values in: the layer's own
// when it is f16 or bf16 (or a sparse layout's), f32 otherwise.
value_type source_value_type(const layer_tensors& layer, std::size_t slot) {
  if (const compressed_weight* c = layer.compressed[slot]) {
    const sparse_values* values = sparse_values_of(c->layout);
    return values != nullptr ? values->type : value_type::f32;
  }
  const dtype type = layer.linear(static_cast<linear_slot>(slot)).type;
  return type == dtype::f16 ? value_type::f16 : type == dtype::bf16 ? value_type::bf16 : value_type::f32;
}

// Compresses one linear layer whose current f32 values are `values` [rows, cols]; afterwards
// `values` holds the compressed layer densified, and the model's view points at the result.
result<nlohmann::json> compress_layer(loaded_model& model, std::size_t block, std::size_t slot, method& m,
                                      std::vector<float>& values, const layer_stats& stats, totals& sum) {
  const auto [n_rows, n_cols] = linear_shape(model.view.layers[block], slot);
  const layer_info info{fmt::format("layers.{}.{}", block, k_linear_layer_names[slot]), static_cast<std::int64_t>(block)};
  const auto started = clock_type::now();
  auto output = m.compress(info, matrix_f32{values.data(), n_rows, n_cols, n_cols}, stats);
  if (!output) return std::unexpected(output.error().with_context(info.name));
  const double seconds = seconds_since(started);
  auto checked = check_method_output(info.name, n_rows, n_cols, *output, values, source_value_type(model.view.layers[block], slot));
  if (!checked) return std::unexpected(checked.error());
  auto compressed = std::make_unique<compressed_weight>(std::move(checked->weight));
  const bool dense = std::holds_alternative<dense_layout>(compressed->layout);
  const std::int64_t zeros = checked->zeros;
  const double bits = checked->bits_per_weight;
  const std::string format = layout_name(compressed->layout);
  tensor_view& view = model.view.layers[block].linear(static_cast<linear_slot>(slot));
  release_replaced_weight(model, view);
  if (dense) {
    const std::size_t n_bytes = values.size() * sizeof(float);
    auto buffer = std::make_unique<std::byte[]>(n_bytes);
    std::memcpy(buffer.get(), values.data(), n_bytes);
    view = make_contiguous_view(dtype::f32, buffer.get(), n_rows, n_cols);
    model.view.layers[block].compressed[slot] = nullptr;
    model.owned_buffers.push_back(std::move(buffer));
  } else {
    view = tensor_view{};
    model.view.layers[block].compressed[slot] = compressed.get();
    model.owned_compressed.push_back(std::move(compressed));
  }
  const auto n = static_cast<double>(n_rows * n_cols);
  sum.weights += n_rows * n_cols;
  sum.zeros += static_cast<double>(zeros);
  sum.bits += bits * n;
  nlohmann::json report = {{"name", info.name},  {"shape", {n_rows, n_cols}},      {"format", format},
                           {"achieved_sparsity", static_cast<double>(zeros) / n}, {"bits_per_weight", bits},
                           {"seconds", seconds}};
  if (!output->notes.empty()) report["notes"] = output->notes;
  return report;
}

// The groups of linear layers compressed together: all seven at once (statistics from one pass
// of the uncompressed block), or the references' --true-sequential grouping.
std::vector<std::vector<linear_slot>> layer_groups(bool true_sequential) {
  using enum linear_slot;
  if (true_sequential) return {{q, k, v}, {o}, {gate, up}, {down}};
  return {{q, k, v, o, gate, up, down}};
}

result<std::vector<std::vector<std::int32_t>>> draw_calibration(const calibration_options& c, const tokenizer& tok,
                                                                 std::int64_t seqlen) {
  const bool blocks = c.sampling == "blocks";
  auto documents = read_calibration_documents(c.data, blocks);
  if (!documents) return std::unexpected(documents.error());
  const auto seed = static_cast<std::uint64_t>(c.seed);
  if (blocks) return sample_blocks(*documents, tok, c.nsamples, seqlen, seed, c.data.string());
  return sample_windows(*documents, tok, c.nsamples, seqlen, seed, c.data.string());
}

}  // namespace

result<checked_layer> check_method_output(const std::string& layer, std::int64_t n_rows, std::int64_t n_cols, method_output& output,
                                          std::span<float> values, value_type sparse_values) {
  checked_layer out;
  out.weight = compressed_weight{n_rows, n_cols, std::move(output.layout)};
  const bool dense = std::holds_alternative<dense_layout>(out.weight.layout);
  if (status st = check_layout(out.weight); !st.ok()) {
    return fail(status_code::internal,
                fmt::format("{}: the method returned a malformed {} layout: {}", layer, layout_name(out.weight.layout), st.message()));
  }
  convert_sparse_values(out.weight.layout, sparse_values);
  if (!dense) densify(out.weight, values.data());
  std::int64_t non_finite = 0;
  for (float v : values) {
    out.zeros += v == 0.0f ? 1 : 0;
    non_finite += std::isfinite(v) ? 0 : 1;
  }
  if (non_finite > 0) {
    return fail(status_code::failed_precondition, fmt::format("{}: the compressed layer holds {} NaN/Inf values", layer, non_finite));
  }
  out.bits_per_weight = dense ? output.bits_per_weight : storage_bits_per_weight(out.weight);
  return out;
}

calibration_options resolve_calibration(const plugin_manifest& manifest, const calibration_settings& s) {
  calibration_options c;
  c.data = s.data;
  c.nsamples = s.nsamples.value_or(manifest.calibration_nsamples.value_or(c.nsamples));
  c.seqlen = s.seqlen.value_or(manifest.calibration_seqlen.value_or(c.seqlen));
  c.seed = s.seed.value_or(manifest.calibration_seed.value_or(c.seed));
  c.sampling = s.sampling.value_or(manifest.calibration_sampling.value_or(c.sampling));
  c.propagate = s.propagate.value_or(manifest.calibration_propagate.value_or(c.propagate));
  c.true_sequential = s.true_sequential.value_or(c.true_sequential);
  return c;
}

status check_calibration(const plugin_manifest& manifest, const calibration_options& c, const std::string& where) {
  if (manifest.needs.empty()) return status::success();
  if (c.data.empty()) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: method '{}' needs calibration statistics ({}): give calibration data (a text or JSONL file)",
                            where, manifest.name, fmt::join(manifest.needs, ", ")));
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(c.data, ec)) {
    return fail(status_code::not_found, fmt::format("{}: calibration data '{}' not found", where, c.data.string()));
  }
  if (c.nsamples < 1) return fail(status_code::invalid_argument, fmt::format("{}: nsamples {} is below 1", where, c.nsamples));
  if (c.seqlen < 2) return fail(status_code::invalid_argument, fmt::format("{}: seqlen {} is below 2", where, c.seqlen));
  if (c.sampling != "windows" && c.sampling != "blocks")
    return fail(status_code::invalid_argument, fmt::format("{}: sampling '{}' is not one of windows, blocks", where, c.sampling));
  if (c.propagate != "compressed" && c.propagate != "dense")
    return fail(status_code::invalid_argument, fmt::format("{}: propagate '{}' is not one of compressed, dense", where, c.propagate));
  return status::success();
}

result<nlohmann::json> compress_model(loaded_model& model, const tokenizer& tok, method& m, const plugin_manifest& manifest,
                                      const nlohmann::json& params, const calibration_options& calibration, const host& services) {
  const llama_config& config = model.view.config;
  const statistics_request request = statistics_request::from_needs(manifest.needs);
  const bool calibrated = request.any();
  const auto n_blocks = static_cast<std::int64_t>(model.view.layers.size());
  nlohmann::json per_layer = nlohmann::json::array();
  nlohmann::json calibration_block = nullptr;
  totals sum;

  // Calibration sequences, through the embeddings: the inputs of block 0.
  std::vector<std::vector<std::int32_t>> samples;
  std::int64_t seqlen = 0;
  if (calibrated) {
    seqlen = config.n_ctx_train > 0 ? std::min(calibration.seqlen, config.n_ctx_train) : calibration.seqlen;
    auto drawn = draw_calibration(calibration, tok, seqlen);
    if (!drawn) return std::unexpected(drawn.error());
    samples = std::move(*drawn);
    calibration_block = {{"data", calibration.data.string()}, {"nsamples", calibration.nsamples},
                         {"n_sequences", samples.size()},     {"seqlen", seqlen},
                         {"seed", calibration.seed},          {"sampling", calibration.sampling},
                         {"propagate", calibration.propagate}, {"true_sequential", calibration.true_sequential},
                         {"n_tokens", static_cast<std::int64_t>(samples.size()) * seqlen}};
    services.log(log_level::info, fmt::format("calibration: {} sequences of {} tokens from {} ({}, seed {})", samples.size(),
                                              seqlen, calibration.data.string(), calibration.sampling, calibration.seed));
  }
  const std::size_t d = static_cast<std::size_t>(config.n_embd);
  const std::size_t seq_floats = static_cast<std::size_t>(seqlen) * d;
  std::vector<float> inputs(samples.size() * seq_floats), outputs(samples.size() * seq_floats);
  for (std::size_t s = 0; s < samples.size(); ++s) {
    const std::vector<float> e = embed_tokens(model.view, samples[s]);
    std::copy(e.begin(), e.end(), inputs.begin() + static_cast<std::ptrdiff_t>(s * seq_floats));
  }

  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const auto block_started = clock_type::now();
    const auto block = static_cast<std::size_t>(b);
    block_weights current = load_block_weights(model.view, b);
    // The uncompressed block, for "dense" propagation (AWQ feeds the next block dense outputs).
    const bool keep_dense = calibrated && calibration.propagate == "dense";
    const block_weights dense = keep_dense ? current : block_weights{};
    bool outputs_are_dense = false;
    for (const std::vector<linear_slot>& group : layer_groups(calibrated && calibration.true_sequential)) {
      // One pass of the block as it now is, collecting the statistics of this group's inputs.
      std::array<std::unique_ptr<layer_statistics>, k_n_block_inputs> stats;
      if (calibrated) {
        for (linear_slot slot : group) {
          const auto which = static_cast<std::size_t>(input_of(slot));
          const std::int64_t n_in = linear_shape(model.view.layers[block], static_cast<std::size_t>(slot)).second;
          if (!stats[which]) stats[which] = std::make_unique<layer_statistics>(n_in, request);
        }
        const block_tap tap = [&](block_input which, const float* x, std::int64_t n_tokens, std::int64_t n_in) {
          if (auto& acc = stats[static_cast<std::size_t>(which)]) acc->add_sequence(x, n_tokens, n_in);
        };
        for (std::size_t s = 0; s < samples.size(); ++s)
          block_forward(config, current, inputs.data() + s * seq_floats, outputs.data() + s * seq_floats, seqlen, tap);
        outputs_are_dense = group.size() == k_n_linear_slots;  // nothing of this block compressed yet
      }
      for (linear_slot slot : group) {
        const auto index = static_cast<std::size_t>(slot);
        const auto& acc = stats[static_cast<std::size_t>(input_of(slot))];
        const layer_stats layer = acc ? acc->view() : layer_stats{};
        auto report = compress_layer(model, block, index, m, current.linear[index], layer, sum);
        if (!report) return std::unexpected(report.error());
        per_layer.push_back(std::move(*report));
      }
    }
    if (calibrated) {
      // The next block's inputs: this block's outputs, compressed (the references' default) or dense.
      const block_weights& next_from = keep_dense ? dense : current;
      if (!(keep_dense && outputs_are_dense)) {
        for (std::size_t s = 0; s < samples.size(); ++s)
          block_forward(config, next_from, inputs.data() + s * seq_floats, outputs.data() + s * seq_floats, seqlen, {});
      }
      std::swap(inputs, outputs);
    }
    services.log(log_level::debug, fmt::format("compressed block {}/{} in {:.2f} s", b + 1, n_blocks, seconds_since(block_started)));
    services.progress("compress blocks", b + 1, n_blocks);
  }

  const double denominator = sum.weights > 0 ? static_cast<double>(sum.weights) : 1.0;
  nlohmann::json out = {{"method", manifest.name},
                        {"method_version", manifest.version},
                        {"params", params},
                        {"calibration", calibration_block},
                        {"per_layer", per_layer},
                        {"global_sparsity", sum.zeros / denominator},
                        {"mean_bits_per_weight", sum.bits / denominator},
                        {"n_weights", sum.weights},
                        {"kick_version", KICK_VERSION}};
  model.compression_json = out.dump();
  return out;
}

}  // namespace kick
