// The cpu backend's error contract: bad eval arguments, bad models, bad kernel requests.
#include <catch2/catch.hpp>

#include <filesystem>

#include "backend/backend_fixture.h"
#include "support/test_support.h"

namespace kick::test {
namespace {

bool mentions(const status& s, std::string_view text) { return s.message().find(text) != std::string::npos; }

TEST_CASE("cpu backend: eval rejects bad arguments and keeps its state", "[backend][cpu]") {
  test_host host;
  llama_config c = tiny_configs()[0].config;
  const loaded_model model = make_random_model(c, 41, dtype::f16);
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  auto runner = load_runner(**b, model.view, 16);
  CHECK(runner->context_length() == 16);
  const std::int64_t n_vocab = c.n_vocab;
  const std::vector<std::int32_t> tokens = random_tokens(n_vocab, 6, 42);
  const std::vector<float> before = eval_all(*runner, n_vocab, tokens, 0);
  std::vector<float> logits(static_cast<std::size_t>(16 * n_vocab));

  SECTION("token ids outside the vocabulary") {
    for (std::int32_t bad : {-1, static_cast<std::int32_t>(n_vocab), 1 << 30}) {
      const std::vector<std::int32_t> t = {1, bad, 2};
      const status s = runner->eval(t, 6, logits_mode::last, logits);
      CHECK(s.code() == status_code::invalid_argument);
      CHECK(mentions(s, std::to_string(bad)));
      CHECK(mentions(s, "[0, " + std::to_string(n_vocab) + ")"));
    }
  }
  SECTION("n_past beyond the cached positions or negative") {
    const std::vector<std::int32_t> t = {1};
    for (std::int64_t bad : {7, 15, -1}) {
      const status s = runner->eval(t, bad, logits_mode::last, logits);
      CHECK(s.code() == status_code::out_of_range);
      CHECK(mentions(s, "n_past " + std::to_string(bad)));
    }
  }
  SECTION("context overflow") {
    const std::vector<std::int32_t> t = random_tokens(n_vocab, 11, 43);
    const status s = runner->eval(t, 6, logits_mode::all, logits);
    CHECK(s.code() == status_code::out_of_range);
    CHECK(mentions(s, "context length 16"));
    // Exactly filling the context is fine.
    const std::vector<std::int32_t> fits = random_tokens(n_vocab, 10, 43);
    CHECK(runner->eval(fits, 6, logits_mode::all, logits).ok());
  }
  SECTION("a logits buffer too short") {
    const std::vector<std::int32_t> t = {1, 2, 3};
    std::vector<float> small(static_cast<std::size_t>(3 * n_vocab - 1));
    const status s = runner->eval(t, 6, logits_mode::all, small);
    CHECK(s.code() == status_code::invalid_argument);
    CHECK(mentions(s, std::to_string(3 * n_vocab)));
    std::vector<float> one_short(static_cast<std::size_t>(n_vocab - 1));
    CHECK(runner->eval(t, 6, logits_mode::last, one_short).code() == status_code::invalid_argument);
    std::vector<float> one(static_cast<std::size_t>(n_vocab));
    CHECK(runner->eval(t, 6, logits_mode::last, one).ok());
  }
  SECTION("no tokens") {
    CHECK(runner->eval({}, 0, logits_mode::last, logits).code() == status_code::invalid_argument);
  }
  // Whatever failed, the cached positions are intact: evaluating the same tokens again from 0
  // reproduces the logits, and position 6 can still be appended.
  CHECK(eval_all(*runner, n_vocab, tokens, 0) == before);
  const std::vector<std::int32_t> next = {3};
  CHECK(runner->eval(next, 6, logits_mode::last, logits).ok());
}

TEST_CASE("cpu backend: load rejects inconsistent models", "[backend][cpu]") {
  test_host host;
  const llama_config c = tiny_configs()[2].config;
  const loaded_model model = make_random_model(c, 51, dtype::q8_0);
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  const auto load_error = [&](const model_view& v, runner_options options = {}) {
    auto r = (*b)->load(v, options);
    REQUIRE_FALSE(r);
    return r.error();
  };

  model_view wrong_shape = model.view;
  wrong_shape.layers[1].wk.shape[0] = 8;
  status s = load_error(wrong_shape);
  CHECK(s.code() == status_code::invalid_argument);
  CHECK(mentions(s, "blk.1.attn_k"));
  CHECK(mentions(s, "[8, 64]"));

  model_view missing = model.view;
  missing.layers[0].bv = tensor_view{};
  s = load_error(missing);
  CHECK(mentions(s, "blk.0.attn_v.bias is missing"));

  model_view bad_heads = model.view;
  bad_heads.config.n_kv_heads = 3;
  CHECK(mentions(load_error(bad_heads), "n_kv_heads 3"));

  model_view few_layers = model.view;
  few_layers.layers.pop_back();
  CHECK(mentions(load_error(few_layers), "2 layers"));

  model_view no_context = model.view;
  no_context.config.n_ctx_train = 0;
  CHECK(mentions(load_error(no_context), "context length 0"));
  runner_options with_context;
  with_context.n_ctx = 8;
  CHECK((*b)->load(no_context, with_context));

  runner_options huge;
  huge.n_ctx = std::int64_t{1} << 40;
  CHECK(load_error(model.view, huge).code() == status_code::invalid_argument);
}

TEST_CASE("cpu backend: plugin entry, manifest and kernel selection", "[backend][cpu]") {
  test_host host;
  CHECK(std::filesystem::exists(plugin_dir() / "backend-cpu.toml"));
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  const std::string description = (*b)->describe();
  CHECK(description.rfind("cpu: ", 0) == 0);
  auto forced = open_cpu_backend(host, 1, "generic");
  REQUIRE(forced);
  // Decode kernels, then the OpenBLAS kernels prefill's sgemm runs.
  CHECK((*forced)->describe().rfind("cpu: 1 thread, generic, OpenBLAS ", 0) == 0);
  CHECK((*forced)->describe().ends_with(" kernels"));
  auto unknown = open_cpu_backend(host, 0, "sse9");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code() == status_code::unavailable);
  CHECK(mentions(unknown.error(), "sse9"));
}

}  // namespace
}  // namespace kick::test
