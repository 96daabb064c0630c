// Loading HuggingFace directories: safetensors parsing, config.json, shards, round trips.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/model/model_loader.h"
#include "core/model/safetensors_file.h"
#include "model-files/model_compare.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

using namespace kick;
using kick::test::safetensors_entry;

namespace {

std::string f32_bytes(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

template <class Opened>
void expect_failure(const Opened& r, const std::filesystem::path& named, const std::vector<std::string>& needles) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  CHECK(r.error().message().find(named.filename().string()) != std::string::npos);
  for (const auto& n : needles) CHECK(r.error().message().find(n) != std::string::npos);
}

// A valid tiny HF directory with a tweakable config.
std::filesystem::path write_tiny_hf(const std::string& name, const std::function<void(nlohmann::json&)>& edit = {}) {
  const auto dir = kick::test::scratch_dir(name);
  const loaded_model source = make_random_model(kick::test::tiny_config(), 11, dtype::f32);
  kick::test::write_hf_model(source.view, dir);
  if (edit) {
    auto j = nlohmann::json::parse(kick::test::read_file(dir / "config.json"));
    edit(j);
    kick::test::write_file(dir / "config.json", j.dump());
  }
  return dir;
}

}  // namespace

TEST_CASE("safetensors_file parses entries and rejects malformed headers", "[safetensors]") {
  const auto dir = kick::test::scratch_dir("safetensors");
  const std::string good = kick::test::serialize_safetensors(
      {{"a", "F32", {2, 2}, f32_bytes({1, 2, 3, 4})}, {"b", "I64", {1}, std::string(8, '\1')}, {"c", "BF16", {3}, std::string(6, '\2')}});
  kick::test::write_bytes(dir / "ok.safetensors", good);
  auto f = safetensors_file::open(dir / "ok.safetensors");
  REQUIRE(f.has_value());
  REQUIRE(f->tensors().size() == 3);
  const auto* a = f->find("a");
  REQUIRE(a != nullptr);
  CHECK(a->type == dtype::f32);
  CHECK(a->shape == std::vector<std::int64_t>{2, 2});
  float a3;
  std::memcpy(&a3, a->data + 12, 4);
  CHECK(a3 == 4.0f);
  CHECK_FALSE(f->find("b")->type.has_value());
  CHECK(f->find("b")->dtype_name == "I64");
  CHECK(f->find("c")->type == dtype::bf16);

  const auto path = dir / "bad.safetensors";
  auto check_bad = [&](const std::string& bytes, const std::vector<std::string>& needles) {
    kick::test::write_bytes(path, bytes);
    expect_failure(safetensors_file::open(path), path, needles);
  };
  std::string huge = good;
  const std::uint64_t n = 1ull << 40;
  std::memcpy(huge.data(), &n, 8);
  check_bad(huge, {"header length"});
  for (std::size_t cut : {0ul, 4ul, 8ul, 20ul, good.size() - 1}) check_bad(good.substr(0, cut), {});
  auto header = [](const std::string& json) {
    std::string out;
    kick::test::append_le<std::uint64_t>(out, json.size());
    return out + json + std::string(16, '\0');
  };
  check_bad(header("not json"), {"json"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})"), {"'x'", "needs 8"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 40]}})"), {"'x'", "outside"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})"), {"'x'"});
  check_bad(header(R"({"x": {"dtype": "Q4", "shape": [2], "data_offsets": [0, 8]}})"), {"'x'", "dtype 'Q4'"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})"), {"'x'", "shape"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 8]}})"), {"'x'"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}})"), {"'x'", "shape"});
  check_bad(header(R"({"x": {"dtype": 3, "shape": [2], "data_offsets": [0, 8]}})"), {"'x'", "dtype"});
  check_bad(header(R"({"x": {"dtype": "F32", "shape": [2]}})"), {"'x'", "data_offsets"});
  check_bad(header(R"({"x": 5})"), {"'x'"});
  check_bad(header(R"([1, 2])"), {"json object"});
}

TEST_CASE("hf directories round-trip in f32, f16 and bf16, single and sharded", "[hf][loader]") {
  for (dtype type : {dtype::f32, dtype::f16, dtype::bf16}) {
    for (int shards : {1, 3}) {
      for (bool tied : {false, true}) {
        INFO("dtype " << traits(type).name << " shards " << shards << " tied " << tied);
        const auto dir = kick::test::scratch_dir(fmt::format("hf_rt_{}_{}_{}", traits(type).name, shards, tied));
        llama_config c = kick::test::tiny_config();
        c.tied_embeddings = tied;
        c.qkv_bias = shards == 3;
        const loaded_model source = make_random_model(c, 99, type);
        kick::test::write_hf_model(source.view, dir, {.weight_type = type, .n_shards = shards,
                                                      .model_type = c.qkv_bias && tied ? "qwen2" : "llama"});
        kick::test::write_file(dir / "tokenizer.model", "stub");
        auto loaded = load_model(dir);
        REQUIRE(loaded.has_value());
        CHECK(loaded->format == model_format::hf);
        CHECK(loaded->view.config.rope == rope_layout::rotate_half);
        CHECK(loaded->view.config.qkv_bias == c.qkv_bias);
        CHECK(loaded->n_params == source.n_params);
        CHECK(loaded->tokenizer_path == dir / "tokenizer.model");
        CHECK(loaded->files.size() == static_cast<std::size_t>(shards));
        CHECK(kick::test::model_difference(source.view, loaded->view, type) == "");
        std::vector<std::pair<const void*, std::size_t>> ranges;
        for (const auto& f : loaded->files) ranges.emplace_back(f->data(), f->size_bytes());
        CHECK(kick::test::points_into(loaded->view.layers[1].wk.data, ranges));
        CHECK(kick::test::points_into(loaded->view.output.data, ranges));
      }
    }
  }
}

TEST_CASE("hf config.json errors name the file and key", "[hf][loader]") {
  using nlohmann::json;
  const std::pair<std::function<void(json&)>, std::vector<std::string>> cases[] = {
      {[](json& j) { j.erase("hidden_size"); }, {"missing key 'hidden_size'"}},
      {[](json& j) { j["num_hidden_layers"] = "2"; }, {"'num_hidden_layers'", "integer"}},
      {[](json& j) { j["vocab_size"] = -5; }, {"'vocab_size'", "range"}},
      {[](json& j) { j["rms_norm_eps"] = "x"; }, {"'rms_norm_eps'", "number"}},
      {[](json& j) { j["tie_word_embeddings"] = 1; }, {"'tie_word_embeddings'"}},
      {[](json& j) { j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; }, {"'rope_scaling'", "not implemented"}},
      {[](json& j) { j["hidden_act"] = "gelu"; }, {"'hidden_act'"}},
      {[](json& j) { j["model_type"] = "phi3"; }, {"'phi3'"}},
      {[](json& j) { j["num_key_value_heads"] = 3; }, {"num_key_value_heads"}},
      {[](json& j) { j["hidden_size"] = 65; j.erase("head_dim"); }, {"hidden_size"}},
      {[](json& j) { j["intermediate_size"] = 100; }, {"mlp.gate_proj.weight", "[96, 64]", "[100, 64]"}},
      {[](json& j) { j["tie_word_embeddings"] = true; j["vocab_size"] = 65; }, {"embed_tokens", "[64, 64]"}},
  };
  int i = 0;
  for (const auto& [edit, needles] : cases) {
    INFO("case " << i);
    const auto dir = write_tiny_hf(fmt::format("hf_cfg_{}", i++), edit);
    auto m = load_model(dir);
    REQUIRE_FALSE(m.has_value());
    INFO(m.error().message());
    CHECK(m.error().message().find(dir.filename().string()) != std::string::npos);
    for (const auto& n : needles) CHECK(m.error().message().find(n) != std::string::npos);
  }
  const auto dir = write_tiny_hf("hf_cfg_broken");
  kick::test::write_file(dir / "config.json", "{\"hidden_size\": ");
  auto broken = load_model(dir);
  expect_failure(broken, dir / "config.json", {"json"});
}

TEST_CASE("hf loader reports missing files, shards and tensors", "[hf][loader]") {
  llama_config c = kick::test::tiny_config();
  const loaded_model source = make_random_model(c, 5, dtype::f16);

  const auto no_weights = kick::test::scratch_dir("hf_no_weights");
  kick::test::write_file(no_weights / "config.json", kick::test::hf_config_json(c, "llama"));
  expect_failure(load_model(no_weights), no_weights, {"model.safetensors"});
  const auto no_config = kick::test::scratch_dir("hf_no_config");
  expect_failure(load_model(no_config), no_config / "config.json", {"config.json"});

  const auto sharded = kick::test::scratch_dir("hf_missing_shard");
  kick::test::write_hf_model(source.view, sharded, {.weight_type = dtype::f16, .n_shards = 2});
  std::filesystem::remove(sharded / "model-00002-of-00002.safetensors");
  expect_failure(load_model(sharded), sharded / "model.safetensors.index.json", {"model-00002-of-00002.safetensors", "does not exist"});

  const auto escaping = kick::test::scratch_dir("hf_escaping_shard");
  kick::test::write_hf_model(source.view, escaping, {.weight_type = dtype::f16, .n_shards = 2});
  kick::test::write_file(escaping / "model.safetensors.index.json", R"({"weight_map": {"lm_head.weight": "../x.safetensors"}})");
  expect_failure(load_model(escaping), escaping / "model.safetensors.index.json", {"../x.safetensors"});

  const auto misnamed = kick::test::scratch_dir("hf_misnamed");
  kick::test::write_hf_model(source.view, misnamed, {.weight_type = dtype::f16, .n_shards = 2});
  auto index = nlohmann::json::parse(kick::test::read_file(misnamed / "model.safetensors.index.json"));
  index["weight_map"]["model.norm.weight"] = "model-00001-of-00002.safetensors";  // it lives in shard 2
  kick::test::write_file(misnamed / "model.safetensors.index.json", index.dump());
  expect_failure(load_model(misnamed), misnamed / "model.safetensors.index.json", {"model.norm.weight"});

  const auto untied = kick::test::scratch_dir("hf_no_lm_head");
  llama_config tied = c;
  tied.tied_embeddings = true;
  const loaded_model tied_source = make_random_model(tied, 5, dtype::f32);
  kick::test::write_hf_model(tied_source.view, untied);
  kick::test::write_file(untied / "config.json", kick::test::hf_config_json(c, "llama"));  // says untied
  expect_failure(load_model(untied), untied, {"lm_head.weight"});

  const auto int_weights = kick::test::scratch_dir("hf_int_weights");
  kick::test::write_file(int_weights / "config.json", kick::test::hf_config_json(c, "llama"));
  kick::test::write_bytes(int_weights / "model.safetensors", kick::test::serialize_safetensors(
      {{"model.embed_tokens.weight", "I8", {64, 64}, std::string(64 * 64, '\0')}}));
  expect_failure(load_model(int_weights), int_weights / "model.safetensors", {"model.embed_tokens.weight", "I8"});

  // A file passed as hf, and truncated shards.
  expect_failure(load_model(no_weights / "config.json", model_format::hf), no_weights / "config.json", {"directory"});
  const auto cut = kick::test::scratch_dir("hf_cut");
  kick::test::write_hf_model(source.view, cut, {.weight_type = dtype::f16});
  const std::string full = kick::test::read_file(cut / "model.safetensors");
  for (std::size_t at : {std::size_t{3}, std::size_t{100}, full.size() / 2, full.size() - 2}) {
    kick::test::write_bytes(cut / "model.safetensors", full.substr(0, at));
    expect_failure(load_model(cut), cut / "model.safetensors", {});
  }
}
