// The sequential layer-by-layer procedure, observed through an in-process method that records
// the statistics it is given and scales every weight it sees.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>

#include "core/calibrate/block_forward.h"
#include "core/run/compress_model.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

// Records inputs and Hessians per layer; multiplies the weight by `scale` (dense result).
class recording_method final : public kick::method {
 public:
  explicit recording_method(float scale) : scale_(scale) {}
  kick::result<kick::method_output> compress(const kick::layer_info& layer, kick::matrix_f32 weight,
                                             const kick::layer_stats& stats) override {
    const std::int64_t n = weight.n_cols;
    inputs[layer.name].assign(stats.inputs, stats.inputs + stats.n_input_rows * n);
    hessians[layer.name].assign(stats.hessian, stats.hessian + n * n);
    n_sequences = stats.n_sequences;
    for (std::int64_t r = 0; r < weight.n_rows; ++r)
      for (std::int64_t c = 0; c < n; ++c) weight.row(r)[c] *= scale_;
    return kick::method_output{};
  }
  std::map<std::string, std::vector<float>> inputs, hessians;
  std::int64_t n_sequences = 0;

 private:
  float scale_;
};

kick::llama_config tiny_config() {
  kick::llama_config c;
  c.n_vocab = 272;
  c.n_embd = 16;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 4;
  c.n_ff = 24;
  c.n_ctx_train = 32;
  return c;
}

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<kick::tokenizer> tok;
  kick::plugin_manifest manifest;
  kick::calibration_options calibration;

  explicit fixture(const std::string& name) : dir(kick::test::scratch_dir(name)) {
    kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
    tok = std::move(*kick::load_tokenizer(dir / "tokenizer.bin"));
    std::ofstream(dir / "calib.txt") << std::string(200, 'a') << "the quick brown fox jumps over the lazy dog " << std::string(150, 'q');
    manifest.name = "recorder";
    manifest.needs = {"inputs", "hessian"};
    calibration.data = dir / "calib.txt";
    calibration.nsamples = 3;
    calibration.seqlen = 64;  // capped to the model's 32
  }

  std::pair<kick::loaded_model, std::unique_ptr<recording_method>> run(float scale, const kick::calibration_options& c) {
    kick::loaded_model model = kick::make_random_model(tiny_config(), 5, kick::dtype::f32);
    auto m = std::make_unique<recording_method>(scale);
    kick::test::silent_host services;
    auto report = kick::compress_model(model, *tok, *m, manifest, nlohmann::json::object(), c, services);
    if (!report) FAIL(report.error().message());
    CHECK((*report)["per_layer"].size() == 14);
    CHECK((*report)["calibration"]["seqlen"] == 32);
    CHECK((*report)["calibration"]["n_sequences"] == 3);
    return {std::move(model), std::move(m)};
  }
};

}  // namespace

TEST_CASE("layers sharing an input see the same statistics, and H is (2/N) sum x x^T of them", "[calibrate]") {
  fixture f("sequential-shared");
  auto [model, m] = f.run(1.0f, f.calibration);
  CHECK(m->n_sequences == 3);
  CHECK(m->inputs["layers.0.self_attn.q_proj"] == m->inputs["layers.0.self_attn.k_proj"]);
  CHECK(m->inputs["layers.0.self_attn.q_proj"] == m->inputs["layers.0.self_attn.v_proj"]);
  CHECK(m->inputs["layers.1.mlp.gate_proj"] == m->inputs["layers.1.mlp.up_proj"]);
  CHECK(m->inputs["layers.0.mlp.down_proj"].size() == 3u * 32u * 24u);
  const auto& x = m->inputs["layers.1.self_attn.o_proj"];
  const auto& h = m->hessians["layers.1.self_attn.o_proj"];
  const std::int64_t n = 16, rows = 3 * 32;
  for (std::int64_t i = 0; i < n; i += 5)
    for (std::int64_t j = 0; j < n; j += 3) {
      double sum = 0.0;
      for (std::int64_t t = 0; t < rows; ++t) sum += static_cast<double>(x[static_cast<std::size_t>(t * n + i)]) * x[static_cast<std::size_t>(t * n + j)];
      CHECK(h[static_cast<std::size_t>(i * n + j)] == Approx(2.0 * sum / 3.0).epsilon(1e-4).margin(1e-5));
    }
}

TEST_CASE("block i's inputs come from the compressed blocks before it, or the dense ones when asked", "[calibrate]") {
  fixture f("sequential-propagate");
  kick::calibration_options compressed = f.calibration, dense = f.calibration;
  dense.propagate = "dense";
  auto [model_c, mc] = f.run(0.5f, compressed);
  auto [model_d, md] = f.run(0.5f, dense);
  auto [model_1, m1] = f.run(1.0f, compressed);
  // Block 0 sees the embeddings either way.
  CHECK(mc->inputs["layers.0.self_attn.q_proj"] == md->inputs["layers.0.self_attn.q_proj"]);
  // Block 1: dense propagation equals an unscaled run; compressed propagation differs.
  CHECK(md->inputs["layers.1.self_attn.q_proj"] == m1->inputs["layers.1.self_attn.q_proj"]);
  CHECK(mc->inputs["layers.1.self_attn.q_proj"] != m1->inputs["layers.1.self_attn.q_proj"]);
  // The compressed model holds the scaled weights either way.
  const float* w = static_cast<const float*>(model_c.view.layers[1].w_down.data);
  const float* w1 = static_cast<const float*>(model_1.view.layers[1].w_down.data);
  CHECK(w[7] == 0.5f * w1[7]);
}

TEST_CASE("true-sequential collects o_proj's statistics after q/k/v are compressed", "[calibrate]") {
  fixture f("sequential-true");
  kick::calibration_options grouped = f.calibration;
  grouped.true_sequential = true;
  auto [model_a, ma] = f.run(0.5f, f.calibration);
  auto [model_b, mb] = f.run(0.5f, grouped);
  CHECK(ma->inputs["layers.0.self_attn.q_proj"] == mb->inputs["layers.0.self_attn.q_proj"]);
  CHECK(ma->inputs["layers.0.self_attn.o_proj"] != mb->inputs["layers.0.self_attn.o_proj"]);
  CHECK(ma->inputs["layers.0.mlp.down_proj"] != mb->inputs["layers.0.mlp.down_proj"]);
}

TEST_CASE("compression with calibration is deterministic", "[calibrate]") {
  fixture f("sequential-determinism");
  auto [a, ma] = f.run(0.5f, f.calibration);
  auto [b, mb] = f.run(0.5f, f.calibration);
  CHECK(ma->inputs == mb->inputs);
  CHECK(ma->hessians == mb->hessians);
  CHECK(a.compression_json.size() > 0);
}

TEST_CASE("a method needing statistics without calibration data is refused before any work", "[calibrate]") {
  kick::plugin_manifest manifest;
  manifest.name = "needy";
  manifest.needs = {"hessian"};
  const kick::calibration_options none = kick::resolve_calibration(manifest, {});
  const kick::status s = kick::check_calibration(manifest, none, "run.toml: [compress]");
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("run.toml: [compress]") && Catch::Contains("needs calibration statistics (hessian)"));
  manifest.calibration_seqlen = 512;
  manifest.calibration_sampling = "blocks";
  kick::calibration_settings settings;
  settings.seqlen = 128;
  const kick::calibration_options resolved = kick::resolve_calibration(manifest, settings);
  CHECK(resolved.seqlen == 128);
  CHECK(resolved.sampling == "blocks");
  CHECK(resolved.nsamples == 128);
}
