// Loading llama GGUF models: round trips in every dtype, Q/K layout, and malformed files.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "core/model/model_loader.h"
#include "model-files/model_compare.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

using namespace kick;
using kick::test::gguf_model_options;

namespace {

std::vector<std::pair<const void*, std::size_t>> mapped_ranges(const loaded_model& m) {
  std::vector<std::pair<const void*, std::size_t>> r;
  for (const auto& f : m.files) r.emplace_back(f->data(), f->size_bytes());
  return r;
}

void expect_error(const std::filesystem::path& path, const std::vector<std::string>& needles,
                  model_format format = model_format::auto_detect) {
  auto m = load_model(path, format);
  REQUIRE_FALSE(m.has_value());
  INFO(m.error().message());
  CHECK(m.error().message().find(path.filename().string()) != std::string::npos);
  for (const auto& n : needles) CHECK(m.error().message().find(n) != std::string::npos);
}

}  // namespace

TEST_CASE("gguf models round-trip in f32, f16 and q8_0 without copies", "[gguf][loader]") {
  const auto dir = kick::test::scratch_dir("gguf_loader_roundtrip");
  for (dtype type : {dtype::f32, dtype::f16, dtype::q8_0, dtype::bf16}) {
    for (bool tied : {false, true}) {
      INFO("dtype " << traits(type).name << " tied " << tied);
      llama_config c = kick::test::tiny_config();
      c.tied_embeddings = tied;
      c.rope = rope_layout::rotate_half;  // HF layout: the writer permutes Q/K as llama.cpp does
      const loaded_model source = make_random_model(c, 42, type);
      const auto path = dir / fmt::format("m-{}-{}.gguf", traits(type).name, tied);
      kick::test::write_gguf_model(source.view, path, {.weight_type = type, .version = tied ? 2u : 3u, .with_vocab = true});

      auto loaded = load_model(path);
      REQUIRE(loaded.has_value());
      CHECK(loaded->format == model_format::gguf);
      CHECK(loaded->view.config.rope == rope_layout::interleaved);
      CHECK(loaded->view.config.architecture == "llama");
      CHECK(loaded->tokenizer_path == path);
      CHECK(loaded->n_params == source.n_params);
      CHECK(kick::test::model_difference(source.view, loaded->view) == "");
      CHECK(validate_model_view(loaded->view).ok());
      // Weights are used in place from the mapping (norms are converted to f32 copies).
      const auto ranges = mapped_ranges(*loaded);
      CHECK(kick::test::points_into(loaded->view.tok_embd.data, ranges));
      CHECK(kick::test::points_into(loaded->view.layers[1].w_down.data, ranges));
      CHECK(kick::test::points_into(loaded->view.output.data, ranges));
      CHECK((loaded->view.output.data == loaded->view.tok_embd.data) == tied);
    }
  }
}

TEST_CASE("gguf Q/K permutation round-trips through the HF writer", "[gguf][loader][rope]") {
  const auto dir = kick::test::scratch_dir("gguf_loader_permutation");
  // The map itself: HF rows (0..hd/2) land on even rows, (hd/2..hd) on odd rows.
  CHECK(kick::test::hf_row_to_interleaved(0, 8) == 0);
  CHECK(kick::test::hf_row_to_interleaved(1, 8) == 2);
  CHECK(kick::test::hf_row_to_interleaved(4, 8) == 1);
  CHECK(kick::test::hf_row_to_interleaved(7, 8) == 7);
  const auto fwd = kick::test::interleaved_from_hf(3, 8);
  const auto back = kick::test::hf_from_interleaved(3, 8);
  for (std::size_t i = 0; i < fwd.size(); ++i) CHECK(back[static_cast<std::size_t>(fwd[i])] == static_cast<std::int64_t>(i));

  llama_config c = kick::test::tiny_config();
  c.qkv_bias = true;
  const loaded_model source = make_random_model(c, 7, dtype::f32);
  kick::test::write_gguf_model(source.view, dir / "m.gguf");
  auto gguf = load_model(dir / "m.gguf");
  REQUIRE(gguf.has_value());
  CHECK(gguf->view.config.qkv_bias);
  // Q/K rows really moved (the comparison below is not trivially satisfied).
  CHECK(kick::test::tensor_difference(source.view.layers[0].wq, gguf->view.layers[0].wq) != "");
  CHECK(kick::test::model_difference(source.view, gguf->view) == "");
  // Writing the interleaved model back as HF un-permutes: the original bytes come back.
  kick::test::write_hf_model(gguf->view, dir / "hf");
  auto hf = load_model(dir / "hf");
  REQUIRE(hf.has_value());
  CHECK(hf->view.config.rope == rope_layout::rotate_half);
  CHECK(kick::test::tensor_difference(source.view.layers[1].wq, hf->view.layers[1].wq) == "");
  CHECK(kick::test::tensor_difference(source.view.layers[1].wk, hf->view.layers[1].wk) == "");
  CHECK(kick::test::model_difference(source.view, hf->view) == "");
}

TEST_CASE("gguf loader reports vocab-only files, architectures and unsupported types", "[gguf][loader]") {
  const auto dir = kick::test::scratch_dir("gguf_loader_errors");
  const loaded_model source = make_random_model(kick::test::tiny_config(), 3, dtype::f32);

  kick::test::gguf_writer vocab_only;
  vocab_only.add_string("general.architecture", "llama");
  vocab_only.add_string_array("tokenizer.ggml.tokens", {"a", "b"});
  vocab_only.write(dir / "vocab.gguf");
  expect_error(dir / "vocab.gguf", {"no tensors", "vocab-only"});

  auto w = kick::test::gguf_model_writer(source.view);
  w.add_string("general.architecture", "gpt2");  // a second key: duplicate -> rejected by the parser
  w.write(dir / "dup.gguf");
  expect_error(dir / "dup.gguf", {"duplicate metadata key 'general.architecture'"});

  // Another architecture: rebuild the file with the key replaced.
  std::string bytes = kick::test::gguf_model_writer(source.view).serialize();
  const auto at = bytes.find("llama", 24);
  REQUIRE(at != std::string::npos);
  bytes.replace(at, 5, "gemma");
  kick::test::write_bytes(dir / "gemma.gguf", bytes);
  expect_error(dir / "gemma.gguf", {"architecture 'gemma'"});

  // A tensor of a type kick does not compute with (q4_0: 18 bytes per 32 elements).
  kick::test::gguf_writer q4 = kick::test::gguf_model_writer(source.view);
  q4.add_tensor("blk.0.ffn_extra.weight", {64, 2}, 2, std::string(72, '\0'));
  q4.write(dir / "extra.gguf");
  CHECK(load_model(dir / "extra.gguf").has_value());  // unused tensors are ignored
  // Retag attn_q of block 0 as q4_0 and shrink nothing: the data section still holds enough bytes.
  kick::test::gguf_writer retag = kick::test::gguf_model_writer(source.view);
  const std::string full = retag.serialize();
  const std::size_t info = retag.last_layout().tensor_info_start[2];  // token_embd, attn_norm, attn_q
  const std::size_t type_at = info + 8 + std::string("blk.0.attn_q.weight").size() + 4 + 16;
  std::string retagged = full;
  const std::uint32_t q4_0 = 2;
  std::memcpy(retagged.data() + type_at, &q4_0, 4);
  kick::test::write_bytes(dir / "q4.gguf", retagged);
  expect_error(dir / "q4.gguf", {"unsupported tensor type 2 for tensor blk.0.attn_q.weight"});

  // Missing hyperparameter and missing tensor.
  kick::test::gguf_writer partial;
  partial.add_string("general.architecture", "llama");
  partial.add_tensor("token_embd.weight", {4, 4}, 0, std::string(64, '\0'));
  partial.write(dir / "partial.gguf");
  expect_error(dir / "partial.gguf", {"llama.embedding_length"});
  kick::test::gguf_model_options o;
  o.write_output = true;
  auto missing = kick::test::gguf_model_writer(source.view, o).serialize();
  const auto name_at = missing.find("blk.1.ffn_up.weight");
  REQUIRE(name_at != std::string::npos);
  missing[name_at + 10] = 'X';  // blk.1.ffn_Xp.weight
  kick::test::write_bytes(dir / "missing.gguf", missing);
  expect_error(dir / "missing.gguf", {"blk.1.ffn_up.weight", "not found"});
}

TEST_CASE("gguf loader rejects wrong shapes and every truncation", "[gguf][loader]") {
  const auto dir = kick::test::scratch_dir("gguf_loader_truncated");
  const loaded_model source = make_random_model(kick::test::tiny_config(), 5, dtype::q8_0);
  auto w = kick::test::gguf_model_writer(source.view, {.weight_type = dtype::q8_0});
  const std::string good = w.serialize();
  const auto layout = w.last_layout();

  // ffn_norm of block 0 claims 32 elements instead of 64: shape mismatch names the tensor.
  std::string small = good;
  const std::size_t info = layout.tensor_info_start[6];  // embd, then block 0: attn_norm q k v o ffn_norm
  const std::string name = "blk.0.ffn_norm.weight";
  REQUIRE(small.compare(info + 8, name.size(), name) == 0);
  const std::uint64_t n32 = 32;
  std::memcpy(small.data() + info + 8 + name.size() + 4, &n32, 8);
  kick::test::write_bytes(dir / "shape.gguf", small);
  expect_error(dir / "shape.gguf", {"blk.0.ffn_norm.weight", "[32]", "[64]"});

  // Every cut in the header, then cuts spread over the data section.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < layout.data_start; i += 3) cuts.push_back(i);
  for (std::size_t i = layout.data_start; i < good.size(); i += good.size() / 97 + 1) cuts.push_back(i);
  cuts.push_back(good.size() - 1);
  for (std::size_t cut : cuts) {
    INFO("cut at " << cut << " of " << good.size());
    kick::test::write_bytes(dir / "cut.gguf", good.substr(0, cut));
    auto m = load_model(dir / "cut.gguf", cut % 2 ? model_format::gguf : model_format::auto_detect);
    REQUIRE_FALSE(m.has_value());
    CHECK(m.error().message().find("cut.gguf") != std::string::npos);
  }
}

TEST_CASE("gguf tensors misaligned for their element type are copied, not misread", "[gguf][loader]") {
  const auto dir = kick::test::scratch_dir("gguf_loader_alignment");
  const loaded_model source = make_random_model(kick::test::tiny_config(), 8, dtype::f32);
  // general.alignment = 2 and a padding key chosen so that the data section starts at 2 mod 4:
  // every f32 tensor then sits at an address that is not a multiple of 4.
  bool found = false;
  for (std::size_t pad = 0; pad < 4 && !found; ++pad) {
    auto w = kick::test::gguf_model_writer(source.view);
    w.add_u32("general.alignment", 2);
    w.add_string("pad", std::string(pad, 'x'));
    const std::string bytes = w.serialize(3, 2);
    if (w.last_layout().data_start % 4 != 2) continue;
    found = true;
    kick::test::write_bytes(dir / "a2.gguf", bytes);
    auto m = load_model(dir / "a2.gguf");
    REQUIRE(m.has_value());
    CHECK(reinterpret_cast<std::uintptr_t>(m->view.layers[0].wq.data) % 4 == 0);
    CHECK_FALSE(m->owned_buffers.empty());
    CHECK(kick::test::model_difference(source.view, m->view) == "");
  }
  CHECK(found);
}

TEST_CASE("the vocab-only llama fixture parses but is not a model", "[gguf][loader][fixture]") {
  KICK_REQUIRE_FIXTURE(path, "tokenizer/ggml-vocab-llama-spm.gguf");
  auto m = load_model(path);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().message().find("ggml-vocab-llama-spm.gguf") != std::string::npos);
  CHECK(m.error().message().find("vocab-only") != std::string::npos);
}
