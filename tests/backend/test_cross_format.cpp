// One network written in every format kick reads gives the same logits: HF safetensors
// (rotate_half RoPE), GGUF (Q/K rows permuted, interleaved RoPE) and llama2.c.
#include <catch2/catch.hpp>

#include "backend/backend_fixture.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

namespace kick::test {
namespace {

std::vector<float> logits_of(const loaded_model& model, std::span<const std::int32_t> tokens) {
  test_host host;
  auto b = open_cpu_backend(host, 1);
  REQUIRE(b);
  auto runner = load_runner(**b, model.view);
  return eval_all(*runner, model.view.config.n_vocab, tokens, 0);
}

loaded_model load_or_fail(const std::filesystem::path& path) {
  auto m = load_model(path);
  if (!m) FAIL(m.error().message());
  return std::move(*m);
}

TEST_CASE("cpu backend: HF, GGUF and llama2.c files of one network give the same logits", "[backend][cpu][model]") {
  for (bool tied : {false, true}) {
    INFO("tied embeddings: " << tied);
    llama_config config = tiny_config();
    config.tied_embeddings = tied;
    config.rope = rope_layout::rotate_half;
    const loaded_model base = make_random_model(config, tied ? 11 : 12, dtype::f32);
    const auto dir = scratch_dir(tied ? "cross-format-tied" : "cross-format");
    write_hf_model(base.view, dir / "hf");
    write_gguf_model(base.view, dir / "model.gguf", {.weight_type = dtype::f32, .write_output = !tied});
    write_llama2c_model(base.view, dir / "model.bin");

    const loaded_model hf = load_or_fail(dir / "hf");
    const loaded_model gguf = load_or_fail(dir / "model.gguf");
    const loaded_model l2c = load_or_fail(dir / "model.bin");
    CHECK(hf.view.config.rope == rope_layout::rotate_half);
    CHECK(gguf.view.config.rope == rope_layout::interleaved);
    CHECK(l2c.view.config.rope == rope_layout::interleaved);

    const std::vector<std::int32_t> tokens = random_tokens(config.n_vocab, 17, 5);
    const std::vector<float> want = logits_of(base, tokens);
    CHECK(relative_error(logits_of(hf, tokens), want) < 1e-5);
    CHECK(relative_error(logits_of(gguf, tokens), want) < 1e-5);
    CHECK(relative_error(logits_of(l2c, tokens), want) < 1e-5);

    // The permutation matters: GGUF rows read with the HF layout give other logits.
    model_view misread = gguf.view;
    misread.config.rope = rope_layout::rotate_half;
    test_host host;
    auto b = open_cpu_backend(host, 1);
    REQUIRE(b);
    auto runner = load_runner(**b, misread);
    CHECK(relative_error(eval_all(*runner, config.n_vocab, tokens, 0), want) > 1e-3);
  }
}

}  // namespace
}  // namespace kick::test
