// Loading llama2.c checkpoints: the stories260K fixture, synthetic files, and size checks.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "core/model/model_loader.h"
#include "model-files/model_compare.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

using namespace kick;

TEST_CASE("the stories260K fixture loads in place", "[llama2c][loader][fixture]") {
  KICK_REQUIRE_FIXTURE(path, "stories260K/stories260K.bin");
  auto m = load_model(path);
  REQUIRE(m.has_value());
  const llama_config& c = m->view.config;
  CHECK(m->format == model_format::llama2c);
  CHECK(c.n_embd == 64);
  CHECK(c.n_ff == 172);
  CHECK(c.n_layers == 5);
  CHECK(c.n_heads == 8);
  CHECK(c.n_kv_heads == 4);
  CHECK(c.head_dim == 8);
  CHECK(c.n_vocab == 512);
  CHECK(c.n_ctx_train == 512);
  CHECK(c.rope == rope_layout::interleaved);
  CHECK(c.tied_embeddings);
  CHECK(c.rms_norm_eps == 1e-5);
  CHECK(c.rope_theta == 10000.0);
  CHECK(m->n_params == 260032);
  CHECK(m->tokenizer_path == path.parent_path() / "tok512.bin");
  CHECK(m->view.output.data == m->view.tok_embd.data);
  CHECK(validate_model_view(m->view).ok());
  // Views are in the mapping: the embedding starts right after the 28-byte header.
  CHECK(static_cast<const std::byte*>(m->view.tok_embd.data) == m->files[0]->data() + 28);
  // The last layer's w3 (w_up) ends where rms_final begins.
  const auto& last = m->view.layers[4].w_up;
  CHECK(static_cast<const std::byte*>(last.data) + 172 * 64 * 4 ==
        m->files[0]->data() + m->files[0]->size_bytes() - (64 + 512 * 8) * 4);
  const std::string text = describe_model(*m);
  CHECK(text.find("llama2c") != std::string::npos);
  CHECK(text.find("260,032") != std::string::npos);
  CHECK(text.find("tok512.bin") != std::string::npos);
  CHECK(text.find("interleaved") != std::string::npos);
}

TEST_CASE("synthetic llama2.c checkpoints round-trip, tied and untied", "[llama2c][loader]") {
  const auto dir = kick::test::scratch_dir("llama2c_roundtrip");
  for (bool tied : {true, false}) {
    llama_config c = kick::test::tiny_config();
    c.tied_embeddings = tied;
    c.rope = rope_layout::interleaved;
    const loaded_model source = make_random_model(c, 17, dtype::f32);
    const auto path = dir / fmt::format("model-{}.bin", tied);
    kick::test::write_llama2c_model(source.view, path);
    kick::test::write_file(dir / "tokenizer.bin", "stub");
    auto m = load_model(path);
    REQUIRE(m.has_value());
    CHECK(m->view.config.tied_embeddings == tied);
    CHECK(kick::test::model_difference(source.view, m->view) == "");
    CHECK(m->tokenizer_path == dir / "tokenizer.bin");
    CHECK(m->owned_buffers.empty());  // nothing converted: every tensor is in the mapping
  }
  // A rotate_half source is permuted on the way out: the loaded view compares through the map.
  llama_config c = kick::test::tiny_config();
  const loaded_model source = make_random_model(c, 18, dtype::f32);
  kick::test::write_llama2c_model(source.view, dir / "hf-layout.bin");
  auto m = load_model(dir / "hf-layout.bin", model_format::llama2c);
  REQUIRE(m.has_value());
  CHECK(kick::test::model_difference(source.view, m->view) == "");
}

TEST_CASE("llama2.c size mismatches and implausible headers are reported", "[llama2c][loader]") {
  const auto dir = kick::test::scratch_dir("llama2c_errors");
  llama_config c = kick::test::tiny_config();
  c.tied_embeddings = false;
  const loaded_model source = make_random_model(c, 1, dtype::f32);
  kick::test::write_llama2c_model(source.view, dir / "good.bin");
  const std::string good = kick::test::read_file(dir / "good.bin");
  const std::size_t classifier = 64 * 64 * 4;

  // Untied header with the classifier missing, and one extra byte.
  kick::test::write_bytes(dir / "short.bin", good.substr(0, good.size() - classifier));
  auto m = load_model(dir / "short.bin", model_format::llama2c);
  REQUIRE_FALSE(m.has_value());
  INFO(m.error().message());
  CHECK(m.error().message().find("short.bin") != std::string::npos);
  CHECK(m.error().message().find(std::to_string(good.size())) != std::string::npos);
  CHECK(m.error().message().find(std::to_string(good.size() - classifier)) != std::string::npos);
  kick::test::write_bytes(dir / "long.bin", good + "x");
  auto auto_long = load_model(dir / "long.bin");
  REQUIRE_FALSE(auto_long.has_value());
  CHECK(auto_long.error().message().find("long.bin") != std::string::npos);
  CHECK(auto_long.error().message().find("unrecognised model format") != std::string::npos);
  CHECK(auto_long.error().message().find(std::to_string(good.size())) != std::string::npos);

  // Implausible headers: zero, negative and non-dividing dims.
  const std::pair<int, std::int32_t> patches[] = {{0, 0}, {0, 63}, {3, -1}, {4, 3}, {2, 100000}, {6, 0}};
  for (const auto& [field, value] : patches) {
    std::string bad = good;
    std::memcpy(bad.data() + 4 * field, &value, 4);
    kick::test::write_bytes(dir / "bad.bin", bad);
    auto r = load_model(dir / "bad.bin");
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().message());
    CHECK(r.error().message().find("bad.bin") != std::string::npos);
    CHECK(r.error().message().find("unrecognised model format") != std::string::npos);
  }
  kick::test::write_bytes(dir / "text.bin", "hello, this is not a model at all........");
  auto text = load_model(dir / "text.bin");
  REQUIRE_FALSE(text.has_value());
  CHECK(text.error().message().find("text.bin: unrecognised model format") != std::string::npos);
  // The newer llama2.c export format is named, not misread.
  std::string v1 = good;
  const std::uint32_t magic = 0x616b3432, version = 1;
  std::memcpy(v1.data(), &magic, 4);
  std::memcpy(v1.data() + 4, &version, 4);
  kick::test::write_bytes(dir / "v1.bin", v1);
  auto r = load_model(dir / "v1.bin");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == status_code::unimplemented);
  CHECK(r.error().message().find("version 1") != std::string::npos);
  CHECK(load_model(dir / "missing.bin").error().code() == status_code::not_found);
}
