// Format names, validate_model_view, describe_model and make_random_model.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/model/model_loader.h"
#include "model-files/model_compare.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

using namespace kick;

TEST_CASE("model formats parse and print", "[model]") {
  for (model_format f : {model_format::auto_detect, model_format::hf, model_format::gguf, model_format::llama2c}) {
    CHECK(parse_model_format(to_string(f)).value() == f);
  }
  auto bad = parse_model_format("ggml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message().find("'ggml'") != std::string::npos);
  CHECK(bad.error().message().find("llama2c") != std::string::npos);
}

TEST_CASE("validate_model_view names the tensor at fault", "[model]") {
  llama_config c = kick::test::tiny_config();
  c.qkv_bias = true;
  const loaded_model good = make_random_model(c, 1, dtype::f16);
  REQUIRE(validate_model_view(good.view).ok());

  auto expect_bad = [](model_view v, const std::string& needle) {
    const status s = validate_model_view(v);
    REQUIRE_FALSE(s.ok());
    INFO(s.message());
    CHECK(s.message().find(needle) != std::string::npos);
  };
  model_view v = good.view;
  v.layers[1].wk = {};
  expect_bad(v, "layers.1.wk is missing");
  v = good.view;
  v.layers[0].w_down = v.layers[0].w_up;  // [96, 64] where [64, 96] belongs
  expect_bad(v, "layers.0.w_down has shape [96, 64], expected [64, 96]");
  v = good.view;
  v.layers[0].attn_norm.type = dtype::f16;
  expect_bad(v, "layers.0.attn_norm is f16");
  v = good.view;
  v.layers.pop_back();
  expect_bad(v, "n_layers");
  v = good.view;
  v.config.n_kv_heads = 3;
  expect_bad(v, "n_kv_heads");
  v = good.view;
  v.config.qkv_bias = false;
  expect_bad(v, "bq is present");
  v = good.view;
  v.config.tied_embeddings = true;
  expect_bad(v, "tied");
  v = good.view;
  v.layers[0].wq.type = dtype::q8_0;
  v.layers[0].wq.shape[1] = 48;
  v.config.n_embd = 48;
  expect_bad(v, "");  // shapes now disagree with the config somewhere; must not crash
  v = good.view;
  v.config.rms_norm_eps = 0.0;
  expect_bad(v, "rms_norm_eps");
}

TEST_CASE("make_random_model is deterministic and well scaled", "[model][random]") {
  llama_config c = kick::test::tiny_config();
  const loaded_model a = make_random_model(c, 123, dtype::f32);
  const loaded_model b = make_random_model(c, 123, dtype::f32);
  const loaded_model other = make_random_model(c, 124, dtype::f32);
  CHECK(kick::test::model_difference(a.view, b.view) == "");
  CHECK(kick::test::model_difference(a.view, other.view) != "");
  CHECK(validate_model_view(a.view).ok());
  // 64*64 embd + 2 * (2*64 + 64*64*2 + 32*64*2 + 3*96*64) + 64 + 64*64 output
  CHECK(a.n_params == 64 * 64 + 2 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 3 * 96 * 64) + 64 + 64 * 64);

  // Linear weights: std close to 1/sqrt(n_in), mean close to 0; norms within 1 +- 0.1.
  const std::vector<float> w = kick::test::to_f32(a.view.layers[0].w_gate);
  double sum = 0, sq = 0;
  for (float x : w) {
    sum += x;
    sq += static_cast<double>(x) * x;
  }
  const double mean = sum / static_cast<double>(w.size());
  const double stddev = std::sqrt(sq / static_cast<double>(w.size()) - mean * mean);
  CHECK(std::abs(mean) < 0.01);
  CHECK(stddev == Approx(1.0 / 8.0).epsilon(0.05));
  for (float x : kick::test::to_f32(a.view.layers[1].ffn_norm)) CHECK((x >= 0.9f && x <= 1.1f));

  // The stored dtype is the quantized form of the same draws.
  const loaded_model q = make_random_model(c, 123, dtype::q8_0);
  CHECK(q.view.layers[0].wq.type == dtype::q8_0);
  CHECK(q.view.layers[0].attn_norm.type == dtype::f32);
  const std::vector<float> wq = kick::test::to_f32(q.view.layers[0].wq);
  const std::vector<float> wf = kick::test::to_f32(a.view.layers[0].wq);
  for (std::size_t i = 0; i < wq.size(); i += 97) CHECK(std::abs(wq[i] - wf[i]) < 0.01f);

  c.tied_embeddings = true;
  c.qkv_bias = true;
  const loaded_model tied = make_random_model(c, 1, dtype::bf16);
  CHECK(tied.view.output.data == tied.view.tok_embd.data);
  CHECK(!tied.view.layers[1].bv.empty());
  CHECK(validate_model_view(tied.view).ok());

  c.n_ff = 100;
  CHECK_THROWS_AS(make_random_model(c, 1, dtype::q8_0), std::invalid_argument);
  CHECK(validate_model_view(make_random_model(c, 1, dtype::f16).view).ok());
  c.n_heads = 0;
  CHECK_THROWS_AS(make_random_model(c, 1, dtype::f32), std::invalid_argument);
}

TEST_CASE("a random model of 7B layer shapes builds in seconds", "[model][random][perf]") {
  llama_config c;
  c.n_vocab = 32000;
  c.n_embd = 4096;
  c.n_layers = 2;
  c.n_heads = 32;
  c.n_kv_heads = 32;
  c.head_dim = 128;
  c.n_ff = 11008;
  c.n_ctx_train = 4096;
  const auto start = std::chrono::steady_clock::now();
  const loaded_model m = make_random_model(c, 1, dtype::q8_0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("7B-shape random model (2 layers, q8_0): " << seconds << " s on " << std::thread::hardware_concurrency() << " threads");
  CHECK(m.n_params == 2 * 32000LL * 4096 + 2 * (2 * 4096 + 4 * 4096LL * 4096 + 3 * 4096LL * 11008) + 4096);
  CHECK(validate_model_view(m.view).ok());
  CHECK(seconds < 60.0);  // generous: a shared 2-core CI machine; a few seconds on a workstation
}

TEST_CASE("describe_model lists hyperparameters, tensors and totals", "[model]") {
  const auto dir = kick::test::scratch_dir("describe");
  llama_config c = kick::test::tiny_config();
  const loaded_model source = make_random_model(c, 3, dtype::q8_0);
  kick::test::write_gguf_model(source.view, dir / "m.gguf", {.weight_type = dtype::q8_0, .with_vocab = true});
  auto m = load_model(dir / "m.gguf");
  REQUIRE(m.has_value());
  const std::string text = describe_model(*m);
  INFO(text);
  for (const char* needle : {"gguf", "llama", "n_vocab:      64", "n_layers:     2", "kv heads 2, head_dim 16",
                             "n_ff:         96", "theta 10000", "interleaved", "layers.0.wq", "[64, 64]", "q8_0",
                             "f32", "m.gguf", "totals by dtype"}) {
    CHECK(text.find(needle) != std::string::npos);
  }
  CHECK(text.find("layers.1.") == std::string::npos);  // only the first block is listed
}
