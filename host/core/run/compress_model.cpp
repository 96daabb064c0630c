#include "core/run/compress_model.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "kick/convert.h"
#include "kick/format_codec.h"

namespace kick {

namespace {

tensor_view* linear_view(layer_tensors& layer, std::size_t index) {
  tensor_view* views[] = {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up, &layer.w_down};
  return views[index];
}

}  // namespace

result<nlohmann::json> compress_model(loaded_model& model, method& m, const host& services) {
  nlohmann::json per_layer = nlohmann::json::array();
  std::int64_t total_weights = 0;
  double total_zeros = 0.0;
  double total_bits = 0.0;
  const std::size_t n_blocks = model.view.layers.size();
  for (std::size_t block = 0; block < n_blocks; ++block) {
    for (std::size_t i = 0; i < std::size(k_linear_layer_names); ++i) {
      tensor_view& view = *linear_view(model.view.layers[block], i);
      const std::int64_t n_rows = view.n_rows();
      const std::int64_t n_cols = view.n_cols();
      const auto n = static_cast<std::size_t>(n_rows * n_cols);
      auto buffer = std::make_unique<std::byte[]>(n * sizeof(float));
      auto* data = reinterpret_cast<float*>(buffer.get());
      for (std::int64_t r = 0; r < n_rows; ++r) dequantize_row(view.type, view.row(r), data + r * n_cols, n_cols);
      layer_info info{fmt::format("layers.{}.{}", block, k_linear_layer_names[i]), static_cast<std::int64_t>(block)};
      const auto started = std::chrono::steady_clock::now();
      auto output = m.compress(info, matrix_f32{data, n_rows, n_cols, n_cols}, layer_stats{});
      if (!output) return std::unexpected(output.error().with_context(info.name));
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      auto compressed = std::make_unique<compressed_weight>(compressed_weight{n_rows, n_cols, std::move(output->layout)});
      const bool dense = std::holds_alternative<dense_layout>(compressed->layout);
      if (status st = check_layout(*compressed); !st.ok())
        return fail(status_code::internal, fmt::format("{}: the method returned a malformed {} layout: {}", info.name,
                                                       layout_name(compressed->layout), st.message()));
      std::int64_t zeros = 0;
      if (!dense) {
        for (std::int64_t r = 0; r < n_rows; ++r) densify_row(*compressed, r, data + r * n_cols);
      }
      for (std::size_t k = 0; k < n; ++k) zeros += data[k] == 0.0f ? 1 : 0;
      const double bits = dense ? output->bits_per_weight : storage_bits_per_weight(*compressed);
      if (dense) {
        view = make_contiguous_view(dtype::f32, data, n_rows, n_cols);
        model.owned_buffers.push_back(std::move(buffer));
      } else {
        view = tensor_view{};
        model.view.layers[block].compressed[i] = compressed.get();
        model.owned_compressed.push_back(std::move(compressed));
      }
      total_weights += n_rows * n_cols;
      total_zeros += static_cast<double>(zeros);
      total_bits += bits * static_cast<double>(n_rows * n_cols);
      per_layer.push_back({{"name", info.name},
                           {"shape", {n_rows, n_cols}},
                           {"achieved_sparsity", static_cast<double>(zeros) / static_cast<double>(n)},
                           {"format", dense ? "dense" : layout_name(model.view.layers[block].compressed[i]->layout)},
                           {"bits_per_weight", bits},
                           {"seconds", seconds}});
    }
    services.progress("compress", static_cast<std::int64_t>(block + 1), static_cast<std::int64_t>(n_blocks));
  }
  const double denominator = total_weights > 0 ? static_cast<double>(total_weights) : 1.0;
  return nlohmann::json{{"per_layer", per_layer},
                        {"global_sparsity", total_zeros / denominator},
                        {"mean_bits_per_weight", total_bits / denominator},
                        {"n_weights", total_weights}};
}

}  // namespace kick
