// The host's calibration forward (host/core/calibrate/block_forward) must compute the same
// network as the cpu backend: run every block, the final norm and the output projection, and
// compare logits on every tiny architecture variant.
#include <catch2/catch.hpp>

#include <cmath>

#include "backend/backend_fixture.h"
#include "core/calibrate/block_forward.h"
#include "kick/convert.h"

namespace kick::test {
namespace {

std::vector<float> logits_through_blocks(const model_view& model, const std::vector<std::int32_t>& tokens) {
  const llama_config& c = model.config;
  const auto n = static_cast<std::int64_t>(tokens.size());
  std::vector<float> x = embed_tokens(model, tokens), y(x.size());
  for (std::int64_t b = 0; b < c.n_layers; ++b) {
    block_forward(c, load_block_weights(model, b), x.data(), y.data(), n, {});
    std::swap(x, y);
  }
  std::vector<float> norm(static_cast<std::size_t>(c.n_embd)), row(static_cast<std::size_t>(c.n_embd));
  dequantize_row(model.output_norm.type, model.output_norm.data, norm.data(), c.n_embd);
  std::vector<float> logits(static_cast<std::size_t>(n * c.n_vocab));
  for (std::int64_t t = 0; t < n; ++t) {
    const float* xt = x.data() + t * c.n_embd;
    double sum_sq = 0.0;
    for (std::int64_t j = 0; j < c.n_embd; ++j) sum_sq += static_cast<double>(xt[j]) * xt[j];
    const double inv = 1.0 / std::sqrt(sum_sq / static_cast<double>(c.n_embd) + c.rms_norm_eps);
    for (std::int64_t v = 0; v < c.n_vocab; ++v) {
      dequantize_row(model.output.type, model.output.row(v), row.data(), c.n_embd);
      double dot = 0.0;
      for (std::int64_t j = 0; j < c.n_embd; ++j) dot += static_cast<double>(xt[j]) * inv * norm[static_cast<std::size_t>(j)] * row[static_cast<std::size_t>(j)];
      logits[static_cast<std::size_t>(t * c.n_vocab + v)] = static_cast<float>(dot);
    }
  }
  return logits;
}

}  // namespace

TEST_CASE("the calibration forward matches the cpu backend on every tiny architecture", "[calibrate][cpu]") {
  test_host services;
  auto backend = open_cpu_backend(services, 1);
  REQUIRE(backend.has_value());
  for (const named_config& nc : tiny_configs()) {
    SECTION(nc.name) {
      const loaded_model model = make_random_model(nc.config, 11, dtype::f32);
      const std::vector<std::int32_t> tokens = random_tokens(nc.config.n_vocab, 9, 5);
      auto runner = load_runner(**backend, model.view);
      const std::vector<float> want = eval_all(*runner, nc.config.n_vocab, tokens, 0);
      const std::vector<float> got = logits_through_blocks(model.view, tokens);
      CHECK(relative_error(got, want) < 1e-4);
    }
  }
}

TEST_CASE("every linear layer is tapped with an input of its width", "[calibrate]") {
  const llama_config c = tiny_configs().front().config;
  const loaded_model model = make_random_model(c, 3, dtype::f32);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 6, 1);
  const std::vector<float> x = embed_tokens(model.view, tokens);
  std::vector<float> y(x.size());
  std::vector<std::int64_t> widths(k_n_block_inputs, -1);
  block_forward(c, load_block_weights(model.view, 0), x.data(), y.data(), 6,
                [&](block_input which, const float*, std::int64_t n_tokens, std::int64_t n_in) {
                  CHECK(n_tokens == 6);
                  widths[static_cast<std::size_t>(which)] = n_in;
                });
  CHECK(widths[static_cast<std::size_t>(block_input::attn_norm_out)] == c.n_embd);
  CHECK(widths[static_cast<std::size_t>(block_input::attn_out)] == c.n_heads * c.head_dim);
  CHECK(widths[static_cast<std::size_t>(block_input::ffn_norm_out)] == c.n_embd);
  CHECK(widths[static_cast<std::size_t>(block_input::ffn_act)] == c.n_ff);
}

}  // namespace kick::test
