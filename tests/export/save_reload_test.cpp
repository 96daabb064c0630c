// save_compressed_model -> load_model: a model with compressed layers of every format reloads with
// identical arrays and bit-identical logits on the cpu backend, for both RoPE layouts.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/layout_tensors.h"
#include "core/model/safetensors_file.h"
#include "core/model/safetensors_writer.h"
#include "core/model/save_compressed_model.h"
#include "core/run/model_session.h"
#include "export/export_model_support.h"
#include "export/layouts_support.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::linear_slot;
using nlohmann::json;

const std::vector<std::int32_t> k_tokens = {1, 5, 9, 3, 60, 17, 42, 8, 0, 33, 21, 2};

// A random f32 model with layers of every compressed format.
kick::loaded_model compressed_model(const kick::llama_config& config, kick::dtype weight_type = kick::dtype::f32) {
  kick::loaded_model m = kick::make_random_model(config, 1234, weight_type);
  kick::test::compress_layer_for_test(m, 0, linear_slot::q, "nm");
  kick::test::compress_layer_for_test(m, 0, linear_slot::k, "quant-4");
  kick::test::compress_layer_for_test(m, 0, linear_slot::v, "nf4");
  kick::test::compress_layer_for_test(m, 0, linear_slot::o, "int8");
  kick::test::compress_layer_for_test(m, 0, linear_slot::gate, "bitmap");
  kick::test::compress_layer_for_test(m, 0, linear_slot::down, "quant-3-act-order");
  kick::test::compress_layer_for_test(m, 1, linear_slot::up, "nf4-double");
  kick::test::compress_layer_for_test(m, 1, linear_slot::q, "bitmap");
  m.compression_json = R"({"method":"test-method","params":{"sparsity":0.5},"kick_version":"x"})";
  return m;
}

void check_same_model(const kick::loaded_model& a, const kick::loaded_model& b) {
  REQUIRE(a.view.layers.size() == b.view.layers.size());
  for (std::size_t i = 0; i < a.view.layers.size(); ++i) {
    for (std::size_t slot = 0; slot < kick::k_n_linear_slots; ++slot) {
      INFO("block " << i << " slot " << slot);
      const auto* wa = a.view.layers[i].compressed[slot];
      const auto* wb = b.view.layers[i].compressed[slot];
      REQUIRE((wa == nullptr) == (wb == nullptr));
      if (wa != nullptr) {
        CHECK(kick::test::same_weight(*wa, *wb));
        CHECK(b.view.layers[i].linear(static_cast<linear_slot>(slot)).empty());
      } else {
        CHECK(kick::test::to_f32(a.view.layers[i].linear(static_cast<linear_slot>(slot))) ==
              kick::test::to_f32(b.view.layers[i].linear(static_cast<linear_slot>(slot))));
      }
    }
  }
  CHECK(kick::test::to_f32(a.view.tok_embd) == kick::test::to_f32(b.view.tok_embd));
  CHECK(kick::test::to_f32(a.view.output) == kick::test::to_f32(b.view.output));
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("a compressed model saved and reloaded gives identical layouts and bit-identical logits", "[export]") {
  auto [label, rope, tied, bias] = GENERATE(table<const char*, kick::rope_layout, bool, bool>({
      {"rotate_half, untied", kick::rope_layout::rotate_half, false, false},
      {"interleaved (gguf/llama2.c), tied", kick::rope_layout::interleaved, true, false},
      {"rotate_half, qkv bias", kick::rope_layout::rotate_half, false, true},
  }));
  INFO(label);
  kick::llama_config config = kick::test::tiny_config();
  config.rope = rope;
  config.tied_embeddings = tied;
  config.qkv_bias = bias;
  const kick::loaded_model original = compressed_model(config);
  REQUIRE(kick::validate_model_view(original.view).ok());
  const auto dir = kick::test::scratch_dir("export-save-reload");
  REQUIRE(kick::save_compressed_model(original, dir, {}).ok());
  CHECK(std::filesystem::exists(dir / "config.json"));
  CHECK(std::filesystem::exists(dir / "model.safetensors"));

  auto reloaded = kick::load_model(dir);
  if (!reloaded) FAIL(reloaded.error().message());
  CHECK(reloaded->format == kick::model_format::hf);
  CHECK(reloaded->view.config.rope == rope);
  CHECK(reloaded->view.config.tied_embeddings == tied);
  CHECK(reloaded->view.config.qkv_bias == bias);
  CHECK(reloaded->compression_json == original.compression_json);
  CHECK(reloaded->n_params == original.n_params);
  check_same_model(original, *reloaded);
  const auto want = kick::test::cpu_logits(original, k_tokens);
  const auto got = kick::test::cpu_logits(*reloaded, k_tokens);
  CHECK(bit_identical(want, got));

  // The file is a HF checkpoint: config keys, __metadata__ format and the method metadata.
  const json config_json = json::parse(kick::test::read_file(dir / "config.json"));
  CHECK(config_json["architectures"][0] == "LlamaForCausalLM");
  CHECK(config_json["num_key_value_heads"] == config.n_kv_heads);
  CHECK(config_json["kick_rope_layout"] == (rope == kick::rope_layout::interleaved ? "interleaved" : "rotate_half"));
  CHECK(config_json["kick_compression"]["method"] == "test-method");
  auto file = kick::safetensors_file::open(dir / "model.safetensors");
  REQUIRE(file);
  CHECK(file->metadata().at("format") == "pt");
  CHECK((file->find("lm_head.weight") != nullptr) == !tied);
  CHECK(file->find("model.layers.0.self_attn.q_proj.weight") == nullptr);
  CHECK(file->find("model.layers.0.self_attn.q_proj.nm_values") != nullptr);
  CHECK(file->find("model.layers.0.mlp.up_proj.weight") != nullptr);
  const json layouts = json::parse(file->metadata().at(kick::k_layouts_metadata_key));
  CHECK(layouts.size() == 8);
  CHECK(layouts["model.layers.0.self_attn.k_proj"]["format"] == "quant-group");

  if (rope == kick::rope_layout::interleaved) {
    // Without kick_rope_layout the same rows would be read as HF's rotate_half order: other logits.
    json plain = config_json;
    plain.erase("kick_rope_layout");
    const auto copy = kick::test::scratch_dir("export-save-reload-no-rope-key");
    std::filesystem::copy_file(dir / "model.safetensors", copy / "model.safetensors");
    kick::test::write_file(copy / "config.json", plain.dump());
    auto misread = kick::load_model(copy);
    REQUIRE(misread);
    CHECK(misread->view.config.rope == kick::rope_layout::rotate_half);
    CHECK(!bit_identical(want, kick::test::cpu_logits(*misread, k_tokens)));
  }

  // Inspect shows the formats and the method.
  const std::string described = kick::describe_model(*reloaded);
  CHECK_THAT(described, Catch::Contains("sparse-nm 2:4"));
  CHECK_THAT(described, Catch::Contains("quant-group 4-bit g32"));
  CHECK_THAT(described, Catch::Contains("test-method"));

  // Saving the reloaded model again gives the same tensors.
  const auto again = kick::test::scratch_dir("export-save-reload-again");
  REQUIRE(kick::save_compressed_model(*reloaded, again, {}).ok());
  auto second = kick::safetensors_file::open(again / "model.safetensors");
  REQUIRE(second);
  REQUIRE(second->tensors().size() == file->tensors().size());
  for (const auto& [name, t] : file->tensors()) {
    const auto* u = second->find(name);
    REQUIRE(u != nullptr);
    CHECK((u->size_bytes == t.size_bytes && std::memcmp(u->data, t.data, t.size_bytes) == 0));
  }
}

TEST_CASE("f16 weights are saved as F16 and reload bit-identically, q8_0 ones as exact F32", "[export]") {
  for (const kick::dtype type : {kick::dtype::f16, kick::dtype::q8_0}) {
    INFO(kick::traits(type).name);
    const kick::loaded_model original = compressed_model(kick::test::tiny_config(), type);
    const auto dir = kick::test::scratch_dir("export-dtypes");
    REQUIRE(kick::save_compressed_model(original, dir, {}).ok());
    auto reloaded = kick::load_model(dir);
    if (!reloaded) FAIL(reloaded.error().message());
    const auto& up = reloaded->view.layers[0].w_up;
    CHECK(up.type == (type == kick::dtype::f16 ? kick::dtype::f16 : kick::dtype::f32));
    check_same_model(original, *reloaded);  // values compared through f32: exact
    const auto want = kick::test::cpu_logits(original, k_tokens);
    const auto got = kick::test::cpu_logits(*reloaded, k_tokens);
    if (type == kick::dtype::f16) {
      CHECK(bit_identical(want, got));
    } else {  // q8_0 rows dotted as blocks vs the same values as f32 rows: rounding order only
      double max_diff = 0.0, scale = 1.0;
      for (std::size_t i = 0; i < want.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::fabs(want[i] - got[i])));
        scale = std::max(scale, static_cast<double>(std::fabs(want[i])));
      }
      CHECK(max_diff / scale < 1e-4);
    }
  }
}

TEST_CASE("the tokenizer is carried beside the saved model", "[export]") {
  const auto dir = kick::test::scratch_dir("export-tokenizer");
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, 3);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  auto model = kick::load_model(dir / "model.bin");
  REQUIRE(model);
  REQUIRE(model->tokenizer_path == dir / "tokenizer.bin");
  kick::test::compress_layer_for_test(*model, 1, linear_slot::down, "bitmap");
  const auto out = dir / "saved";
  REQUIRE(kick::save_compressed_model(*model, out, model->tokenizer_path).ok());
  auto reloaded = kick::load_model(out);
  if (!reloaded) FAIL(reloaded.error().message());
  CHECK(reloaded->tokenizer_path == out / "tokenizer.bin");
  CHECK(kick::test::read_file(out / "tokenizer.bin") == kick::test::read_file(dir / "tokenizer.bin"));
  auto tok = kick::resolve_tokenizer(*reloaded, {});
  REQUIRE(tok);
  auto source_tok = kick::resolve_tokenizer(*model, {});
  REQUIRE(source_tok);
  CHECK((*tok)->encode("a cat", true).value() == (*source_tok)->encode("a cat", true).value());
  CHECK(bit_identical(kick::test::cpu_logits(*model, {1, 40, 50, 60}), kick::test::cpu_logits(*reloaded, {1, 40, 50, 60})));

  SECTION("a SentencePiece model replaces a stale tokenizer.bin") {
    kick::test::write_file(dir / "spm.model", "not really a model");
    REQUIRE(kick::save_compressed_model(*model, out, dir / "spm.model").ok());
    CHECK(std::filesystem::exists(out / "tokenizer.model"));
    CHECK(!std::filesystem::exists(out / "tokenizer.bin"));
  }
  SECTION("a tokenizer embedded in a GGUF is refused before anything is written") {
    kick::test::write_file(dir / "vocab.gguf", std::string("GGUF") + std::string(60, '\0'));
    const auto refused = dir / "refused";
    const kick::status s = kick::save_compressed_model(*model, refused, dir / "vocab.gguf");
    REQUIRE(!s.ok());
    CHECK(s.code() == kick::status_code::failed_precondition);
    CHECK_THAT(s.message(), Catch::Contains("vocab.gguf") && Catch::Contains("--tokenizer"));
    CHECK(!std::filesystem::exists(refused / "model.safetensors"));
  }
}

namespace {

// Rewrites dir/model.safetensors with `mutate` applied to its tensors and metadata.
void rewrite(const std::filesystem::path& dir,
             const std::function<void(std::vector<kick::safetensors_out_tensor>&, std::map<std::string, std::string>&)>& mutate) {
  auto file = kick::safetensors_file::open(dir / "model.safetensors");
  REQUIRE(file);
  std::vector<kick::safetensors_out_tensor> tensors;
  for (const auto& [name, t] : file->tensors()) {
    kick::safetensors_out_tensor out{name, t.dtype_name, t.shape, {}, {}};
    out.owned.assign(t.data, t.data + t.size_bytes);
    tensors.push_back(std::move(out));
  }
  std::map<std::string, std::string> metadata = file->metadata();
  mutate(tensors, metadata);
  REQUIRE(kick::write_safetensors(dir / "model.safetensors", tensors, metadata).ok());
}

}  // namespace

TEST_CASE("a malformed saved model is refused naming the file and tensor", "[export]") {
  const kick::loaded_model original = compressed_model(kick::test::tiny_config());
  const auto base = kick::test::scratch_dir("export-malformed-model");
  using tensors_t = std::vector<kick::safetensors_out_tensor>;
  using meta_t = std::map<std::string, std::string>;
  const auto edit_layouts = [](meta_t& meta, const std::function<void(json&)>& f) {
    json l = json::parse(meta.at(kick::k_layouts_metadata_key));
    f(l);
    meta[kick::k_layouts_metadata_key] = l.dump();
  };
  struct bad_case {
    std::string name;
    std::function<void(tensors_t&, meta_t&)> mutate;
    std::vector<std::string> expected;
  };
  const std::vector<bad_case> cases = {
      {"missing layout tensor",
       [](tensors_t& t, meta_t&) { std::erase_if(t, [](const auto& x) { return x.name == "model.layers.0.self_attn.k_proj.qweight"; }); },
       {"'model.layers.0.self_attn.k_proj.qweight'", "missing"}},
      {"wrong dtype",
       [](tensors_t& t, meta_t&) {
         for (auto& x : t)
           if (x.name == "model.layers.0.self_attn.o_proj.q") x.dtype_name = "U8";
       },
       {"'model.layers.0.self_attn.o_proj.q'", "dtype U8"}},
      {"dense weight beside its layout",
       [](tensors_t& t, meta_t&) {
         kick::safetensors_out_tensor w{"model.layers.0.self_attn.q_proj.weight", "F32", {64, 64}, {}, {}};
         w.owned.resize(64 * 64 * 4);
         t.push_back(std::move(w));
       },
       {"'model.layers.0.self_attn.q_proj.weight'", "also has a compressed layout"}},
      {"layout shape mismatch",
       [&](tensors_t&, meta_t& m) { edit_layouts(m, [](json& l) { l["model.layers.0.self_attn.q_proj"]["shape"] = {64, 32}; }); },
       {"'model.layers.0.self_attn.q_proj'", "shape [64,32]"}},
      {"layout of something that is not a linear layer",
       [&](tensors_t&, meta_t& m) { edit_layouts(m, [](json& l) { l["model.embed_tokens"] = l["model.layers.0.self_attn.q_proj"]; }); },
       {"'model.embed_tokens'", "not a linear layer"}},
      {"bad descriptor",
       [&](tensors_t&, meta_t& m) { edit_layouts(m, [](json& l) { l["model.layers.0.mlp.down_proj"].erase("group_size"); }); },
       {"model.layers.0.mlp.down_proj", "'group_size'"}},
      {"layouts metadata not json", [](tensors_t&, meta_t& m) { m[kick::k_layouts_metadata_key] = "{oops"; }, {"kick.layouts"}},
      {"inconsistent bitmap",
       [](tensors_t& t, meta_t&) {
         for (auto& x : t)
           if (x.name == "model.layers.0.mlp.gate_proj.row_offsets") x.owned[8] ^= std::byte{2};
       },
       {"model.layers.0.mlp.gate_proj", "bits set"}},
  };
  for (const bad_case& c : cases) {
    INFO(c.name);
    const auto dir = base / c.name;
    REQUIRE(kick::save_compressed_model(original, dir, {}).ok());
    rewrite(dir, c.mutate);
    auto loaded = kick::load_model(dir);
    REQUIRE(!loaded);
    CHECK_THAT(loaded.error().message(), Catch::Contains((dir / "model.safetensors").string()));
    for (const std::string& e : c.expected) CHECK_THAT(loaded.error().message(), Catch::Contains(e));
  }

  SECTION("a truncated file") {
    const auto dir = base / "truncated";
    REQUIRE(kick::save_compressed_model(original, dir, {}).ok());
    const auto size = std::filesystem::file_size(dir / "model.safetensors");
    std::filesystem::resize_file(dir / "model.safetensors", size - 100);
    auto loaded = kick::load_model(dir);
    REQUIRE(!loaded);
    CHECK_THAT(loaded.error().message(), Catch::Contains("model.safetensors"));
  }
  SECTION("a directory with a shard index is refused") {
    const auto dir = base / "sharded";
    kick::test::write_file(dir / "model.safetensors.index.json", "{}");
    const kick::status s = kick::save_compressed_model(original, dir, {});
    REQUIRE(!s.ok());
    CHECK_THAT(s.message(), Catch::Contains("model.safetensors.index.json"));
  }
}
