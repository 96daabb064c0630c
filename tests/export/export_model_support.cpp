#include "export/export_model_support.h"

#include <cstring>

#include "core/model/safetensors_file.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/registry/param_schema.h"
#include "core/registry/plugin_registry.h"
#include "core/run/model_session.h"
#include "kick/format_codec.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

namespace kick::test {
namespace {

// Round-to-nearest asymmetric quantization of `w` [rows, cols] (times input_scale per column
// when given), column c in group group_of[c].
group_quant_layout rtn(const std::vector<float>& w, std::int64_t rows, std::int64_t cols, std::int32_t bits,
                       std::int64_t group_size, const std::vector<std::int32_t>& g_idx, const std::vector<float>& input_scale) {
  group_quant_layout q;
  q.bits = bits;
  q.group_size = group_size;
  q.words_per_row = quant_words_per_row(cols, bits);
  q.n_groups = (cols + group_size - 1) / group_size;
  q.g_idx = g_idx;
  q.input_scale = input_scale;
  q.packed.assign(static_cast<std::size_t>(rows * q.words_per_row), 0);
  q.scales.assign(static_cast<std::size_t>(rows * q.n_groups), 0.0f);
  q.zeros.assign(q.scales.size(), 0.0f);
  const float max_code = static_cast<float>((1 << bits) - 1);
  auto value = [&](std::int64_t r, std::int64_t c) {
    return w[static_cast<std::size_t>(r * cols + c)] * (input_scale.empty() ? 1.0f : input_scale[static_cast<std::size_t>(c)]);
  };
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<float> lo(static_cast<std::size_t>(q.n_groups), 0.0f), hi(lo.size(), 0.0f);
    for (std::int64_t c = 0; c < cols; ++c) {
      const auto g = static_cast<std::size_t>(quant_group_of(q, c));
      lo[g] = std::min(lo[g], value(r, c));
      hi[g] = std::max(hi[g], value(r, c));
    }
    for (std::size_t g = 0; g < lo.size(); ++g) {
      const float scale = hi[g] > lo[g] ? (hi[g] - lo[g]) / max_code : 1.0f;
      q.scales[static_cast<std::size_t>(r) * lo.size() + g] = scale;
      q.zeros[static_cast<std::size_t>(r) * lo.size() + g] = std::nearbyint(-lo[g] / scale);
    }
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::size_t at = static_cast<std::size_t>(r * q.n_groups + quant_group_of(q, c));
      const float code = std::clamp(std::nearbyint(value(r, c) / q.scales[at]) + q.zeros[at], 0.0f, max_code);
      set_quant_code(q, r, c, static_cast<std::uint32_t>(code));
    }
  }
  return q;
}

nf4_layout nf4(const std::vector<float>& w, bool double_quant) {
  nf4_layout l;
  l.block_size = 64;
  const std::size_t n = w.size();
  l.codes.assign((n + 1) / 2, 0);
  for (std::size_t b = 0; b * 64 < n; ++b) {
    float absmax = 0.0f;
    for (std::size_t i = b * 64; i < std::min(n, b * 64 + 64); ++i) absmax = std::max(absmax, std::fabs(w[i]));
    l.absmax.push_back(absmax);
    for (std::size_t i = b * 64; i < std::min(n, b * 64 + 64); ++i) {
      const std::uint8_t code = nf4_code(absmax > 0.0f ? w[i] / absmax : 0.0f);
      l.codes[i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? code << 4 : code);
    }
  }
  if (double_quant) {  // storage only: the codes are not what the decoded absmax would give
    l.double_quant = true;
    l.absmax_block_size = 4;
    for (std::size_t b = 0; b < l.absmax.size(); ++b) l.absmax_codes.push_back(static_cast<std::uint8_t>(b * 37));
    l.absmax2.assign((l.absmax.size() + 3) / 4, 0.5f);
    l.absmax_offset = 0.125f;
  }
  return l;
}

int8_outlier_layout int8(const std::vector<float>& w, std::int64_t rows, std::int64_t cols) {
  int8_outlier_layout l;
  l.outlier_cols = {0, static_cast<std::int32_t>(cols / 2)};
  l.q.assign(w.size(), 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    float absmax = 0.0f;
    for (std::int64_t c = 0; c < cols; ++c)
      if (c != 0 && c != cols / 2) absmax = std::max(absmax, std::fabs(w[static_cast<std::size_t>(r * cols + c)]));
    const float scale = absmax / 127.0f;
    l.row_scale.push_back(scale);
    for (std::int64_t c = 0; c < cols; ++c) {
      if (c == 0 || c == cols / 2) continue;
      l.q[static_cast<std::size_t>(r * cols + c)] = static_cast<std::int8_t>(std::nearbyint(w[static_cast<std::size_t>(r * cols + c)] / scale));
    }
    for (std::int32_t c : l.outlier_cols) l.outlier_values.push_back(w[static_cast<std::size_t>(r * cols + c)]);
  }
  return l;
}

}  // namespace

void compress_layer_for_test(loaded_model& model, std::size_t block, linear_slot slot, const std::string& kind) {
  layer_tensors& l = model.view.layers[block];
  tensor_view& view = l.linear(slot);
  REQUIRE(!view.empty());
  const std::int64_t rows = view.n_rows(), cols = view.n_cols();
  std::vector<float> w = to_f32(view);
  compressed_weight c{rows, cols, dense_layout{}};
  if (kind == "nm") {
    for (std::size_t g = 0; g < w.size() / 4; ++g) {
      float* group = w.data() + g * 4;
      std::array<int, 4> order = {0, 1, 2, 3};
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return std::fabs(group[a]) > std::fabs(group[b]); });
      group[order[2]] = group[order[3]] = 0.0f;
    }
    auto nm = encode_nm(matrix_f32{w.data(), rows, cols, cols}, 2, 4);
    REQUIRE(nm);
    c.layout = std::move(*nm);
  } else if (kind == "bitmap") {
    for (float& x : w)
      if (std::fabs(x) < 0.05f) x = 0.0f;
    c.layout = encode_bitmap(matrix_f32{w.data(), rows, cols, cols});
  } else if (kind == "quant-4") {
    c.layout = rtn(w, rows, cols, 4, 32, {}, {});
  } else if (kind == "quant-3-act-order") {
    std::vector<std::int32_t> g_idx;
    std::vector<float> scale;
    const std::int64_t n_groups = (cols + 31) / 32;
    for (std::int64_t k = 0; k < cols; ++k) {
      g_idx.push_back(static_cast<std::int32_t>((k * 7) % n_groups));
      scale.push_back(0.5f + static_cast<float>(k % 5) * 0.25f);
    }
    c.layout = rtn(w, rows, cols, 3, 32, g_idx, scale);
  } else if (kind == "nf4" || kind == "nf4-double") {
    c.layout = nf4(w, kind == "nf4-double");
  } else if (kind == "int8") {
    c.layout = int8(w, rows, cols);
  } else {
    FAIL("unknown kind " << kind);
  }
  REQUIRE(check_layout(c).ok());
  view = tensor_view{};
  model.owned_compressed.push_back(std::make_unique<compressed_weight>(std::move(c)));
  l.compressed[static_cast<std::size_t>(slot)] = model.owned_compressed.back().get();
}

std::vector<float> cpu_logits(const loaded_model& model, const std::vector<std::int32_t>& tokens) {
  static const silent_host services;
  registry_options ro;
  ro.plugin_dirs = {plugin_dir()};
  ro.use_environment = false;
  ro.use_default_dirs = false;
  const plugin_registry registry = plugin_registry::discover(ro);
  auto manifest = registry.find("backend", "cpu");
  REQUIRE(manifest);
  toml::table values{{"threads", 1}};
  auto params = resolve_params(**manifest, values, "test", ".");
  REQUIRE(params);
  auto session = open_backend_session(**manifest, *params, model, 64, services);
  if (!session) FAIL(session.error().message());
  const std::int64_t n_vocab = model.view.config.n_vocab;
  std::vector<float> logits(tokens.size() * static_cast<std::size_t>(n_vocab), NAN);
  const status s = session->runner->eval(tokens, 0, logits_mode::all, logits);
  if (!s.ok()) FAIL(s.message());
  return logits;
}

void check_same_tensors(const std::filesystem::path& a, const std::filesystem::path& b) {
  auto first = safetensors_file::open(a);
  auto second = safetensors_file::open(b);
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(first->tensors().size() == second->tensors().size());
  for (const auto& [name, t] : first->tensors()) {
    INFO(name);
    const auto* u = second->find(name);
    REQUIRE(u != nullptr);
    CHECK((u->size_bytes == t.size_bytes && std::memcmp(u->data, t.data, t.size_bytes) == 0));
  }
}

}  // namespace kick::test
