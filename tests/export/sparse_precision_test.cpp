// Sparse layers keep the precision of the model they were compressed from: compress_model rounds a
// method's f32 values to the layer's f16 / bf16 (keeps f32 for an f32 model), the densified layer
// the next blocks see is the rounded one, a saved model holds them as F16 / BF16 tensors (smaller
// than the dense layers they replace), and the cpu backend reads them in place with the same
// logits after a reload.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "core/model/safetensors_file.h"
#include "core/model/save_compressed_model.h"
#include "core/run/compress_model.h"
#include "core/model/model_loader.h"
#include "core/tokenizer/tokenizer.h"
#include "export/export_model_support.h"
#include "kick/format_codec.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::value_type;

// Prunes attention layers 2:4 and MLP layers to a bitmap (|w| below the row's mean |w| zeroed),
// and scales what it keeps by 1 + 2^-14, so that kept values are not f16 / bf16 numbers any more
// (as a method that updates weights, like SparseGPT, leaves them).
class pruning_method final : public kick::method {
 public:
  kick::result<kick::method_output> compress(const kick::layer_info& layer, kick::matrix_f32 w, const kick::layer_stats&) override {
    const bool attention = layer.name.find("attn") != std::string::npos;
    for (std::int64_t r = 0; r < w.n_rows; ++r) {
      float* row = w.row(r);
      double mean = 0.0;
      for (std::int64_t c = 0; c < w.n_cols; ++c) mean += std::fabs(row[c]) / static_cast<double>(w.n_cols);
      for (std::int64_t c = 0; c < w.n_cols; ++c) {
        const bool keep = attention ? c % 4 < 2 : std::fabs(row[c]) >= mean;
        row[c] = keep ? row[c] * (1.0f + 0x1p-14f) : 0.0f;
      }
    }
    kick::method_output out;
    if (attention) {
      auto nm = kick::encode_nm(w, 2, 4);
      if (!nm) return std::unexpected(nm.error());
      out.layout = std::move(*nm);
    } else {
      out.layout = kick::encode_bitmap(w);
    }
    return out;
  }
};

kick::loaded_model compressed(kick::dtype type, const std::filesystem::path& dir) {
  kick::loaded_model model = kick::make_random_model(kick::test::tiny_config(), 77, type);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  auto tok = kick::load_tokenizer(dir / "tokenizer.bin");
  REQUIRE(tok);
  pruning_method m;
  kick::plugin_manifest manifest;
  manifest.name = "pruning-test";
  kick::test::silent_host services;
  auto report = kick::compress_model(model, **tok, m, manifest, nlohmann::json::object(), kick::calibration_options{}, services);
  if (!report) FAIL(report.error().message());
  return model;
}

}  // namespace

TEST_CASE("sparse layers keep the precision of the model they were compressed from", "[export]") {
  auto [label, type, stored, dtype_name] = GENERATE(table<const char*, kick::dtype, value_type, const char*>({
      {"f16 model", kick::dtype::f16, value_type::f16, "F16"},
      {"bf16 model", kick::dtype::bf16, value_type::bf16, "BF16"},
      {"f32 model", kick::dtype::f32, value_type::f32, "F32"},
  }));
  INFO(label);
  const auto dir = kick::test::scratch_dir("export-sparse-precision");
  const kick::loaded_model model = compressed(type, dir);
  const kick::loaded_model source = kick::make_random_model(kick::test::tiny_config(), 77, type);
  std::size_t n_sparse = 0;
  for (std::size_t block = 0; block < model.view.layers.size(); ++block) {
    for (std::size_t slot = 0; slot < kick::k_n_linear_slots; ++slot) {
      const kick::compressed_weight* w = model.view.layers[block].compressed[slot];
      REQUIRE(w != nullptr);
      ++n_sparse;
      const kick::sparse_values* held = kick::sparse_values_of(w->layout);
      REQUIRE(held != nullptr);
      const kick::sparse_values& v = *held;
      CHECK(v.type == stored);
      // Each kept value is the method's f32 value rounded to the source precision.
      const std::vector<float> original = kick::test::to_f32(source.view.layers[block].linear(static_cast<kick::linear_slot>(slot)));
      std::vector<float> dense(original.size());
      kick::densify(*w, dense.data());
      std::size_t mismatches = 0, rounded = 0;
      for (std::size_t i = 0; i < dense.size(); ++i) {
        if (dense[i] == 0.0f) continue;
        const float exact = original[i] * (1.0f + 0x1p-14f);
        const float want = stored == value_type::f16    ? kick::f16_to_f32(kick::f32_to_f16(exact))
                           : stored == value_type::bf16 ? kick::bf16_to_f32(kick::f32_to_bf16(exact))
                                                        : exact;
        mismatches += dense[i] != want ? 1 : 0;
        rounded += dense[i] != exact ? 1 : 0;
      }
      CHECK(mismatches == 0);
      if (stored != value_type::f32) CHECK(rounded > 0);  // the rounding did happen
    }
  }
  CHECK(n_sparse == model.view.layers.size() * kick::k_n_linear_slots);

  // Saved in that precision: a 2:4 layer of a 16-bit model is 9 bits per weight, not 16.
  const auto saved = dir / "saved";
  REQUIRE(kick::save_compressed_model(model, saved, {}).ok());
  auto file = kick::safetensors_file::open(saved / "model.safetensors");
  REQUIRE(file);
  const auto* q_values = file->find("model.layers.0.self_attn.q_proj.nm_values");
  const auto* q_indices = file->find("model.layers.0.self_attn.q_proj.nm_indices");
  REQUIRE(q_values != nullptr);
  REQUIRE(q_indices != nullptr);
  CHECK(q_values->dtype_name == dtype_name);
  CHECK(file->find("model.layers.0.mlp.up_proj.values")->dtype_name == dtype_name);
  const kick::tensor_view& q = source.view.layers[0].linear(kick::linear_slot::q);
  const double bits = 8.0 * static_cast<double>(q_values->size_bytes + q_indices->size_bytes) / static_cast<double>(q.n_rows() * q.n_cols());
  CHECK(bits == Approx(stored == value_type::f32 ? 17.0 : 9.0));

  // The reload reads the same values; the cpu backend uses them in place with identical logits.
  auto reloaded = kick::load_model(saved);
  if (!reloaded) FAIL(reloaded.error().message());
  CHECK(kick::sparse_values_of(reloaded->view.layers[1].compressed[0]->layout)->type == stored);
  const std::vector<std::int32_t> tokens = {1, 5, 9, 3, 60, 17, 42, 8};
  const std::vector<float> before = kick::test::cpu_logits(model, tokens);
  const std::vector<float> after = kick::test::cpu_logits(*reloaded, tokens);
  REQUIRE(before.size() == after.size());
  CHECK(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)) == 0);
}
