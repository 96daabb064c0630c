// kickhost make-model's writer (core/model/synthetic_model.h): the tiny preset loads with the
// model loader with the preset's shapes and the promised value distribution; the bytes are a
// function of the seed alone (and a layer's of its name); shards load to the same values; an
// existing directory is refused without force; the streamed safetensors writer checks sizes.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/model/model_loader.h"
#include "core/model/safetensors_writer.h"
#include "core/model/synthetic_model.h"
#include "kick/convert.h"
#include "support/test_support.h"

using namespace kick;
namespace fs = std::filesystem;

namespace {

synthetic_model_options tiny_options(std::uint64_t seed) {
  synthetic_model_options o;
  o.config = synthetic_preset("tiny").value();
  o.seed = seed;
  return o;
}

std::vector<float> values_of(const tensor_view& t) {
  std::vector<float> out(static_cast<std::size_t>(t.n_rows() * t.n_cols()));
  for (std::int64_t r = 0; r < t.n_rows(); ++r) dequantize_row(t.type, t.row(r), out.data() + r * t.n_cols(), t.n_cols());
  return out;
}

}  // namespace

TEST_CASE("make-model: the tiny preset loads with its shapes, Gaussian weights and unit norms", "[model][synthetic]") {
  const fs::path dir = kick::test::scratch_dir("synthetic_tiny") / "model";
  const synthetic_model_options o = tiny_options(7);
  REQUIRE(write_synthetic_model(dir, o).ok());
  std::size_t beside = 0;  // no temporary directory left beside it
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.parent_path())) ++beside;
  CHECK(beside == 1);
  auto model = load_model(dir);
  REQUIRE(model.has_value());
  const llama_config& c = model->view.config;
  CHECK(c.n_vocab == o.config.n_vocab);
  CHECK(c.n_embd == o.config.n_embd);
  CHECK(c.n_layers == o.config.n_layers);
  CHECK(c.n_heads == o.config.n_heads);
  CHECK(c.n_kv_heads == o.config.n_kv_heads);
  CHECK(c.n_ff == o.config.n_ff);
  CHECK(c.n_ctx_train == o.config.n_ctx_train);
  CHECK(c.rope == rope_layout::rotate_half);
  CHECK_FALSE(c.tied_embeddings);
  REQUIRE(model->view.layers.size() == static_cast<std::size_t>(o.config.n_layers));
  const layer_tensors& l = model->view.layers[1];
  CHECK(l.wq.type == dtype::f16);
  CHECK(l.wk.n_rows() == o.config.n_kv_heads * c.head_dim);
  CHECK(l.w_down.n_cols() == o.config.n_ff);
  CHECK(model->view.output.n_rows() == o.config.n_vocab);
  for (float v : values_of(l.ffn_norm)) CHECK(v == 1.0f);
  for (float v : values_of(model->view.output_norm)) CHECK(v == 1.0f);
  // Embeddings: 32768 values of N(0, 0.02^2) through 65536 quantiles (tails below 4.4 sigma).
  const std::vector<float> e = values_of(model->view.tok_embd);
  double sum = 0, sum_sq = 0, max_abs = 0;
  for (float v : e) sum += v, sum_sq += double(v) * v, max_abs = std::max(max_abs, double(std::fabs(v)));
  const double mean = sum / double(e.size()), stddev = std::sqrt(sum_sq / double(e.size()) - mean * mean);
  CHECK(std::fabs(mean) < 0.0005);
  CHECK(stddev == Approx(0.02).epsilon(0.03));
  CHECK(max_abs < 0.02 * 4.4);
  CHECK(max_abs > 0.02 * 3.0);
  // Different tensors hold different values.
  CHECK(std::memcmp(l.wq.data, model->view.layers[0].wq.data, 64) != 0);
}

TEST_CASE("make-model: same seed, same bytes; a layer's values depend on its name only", "[model][synthetic]") {
  const fs::path root = kick::test::scratch_dir("synthetic_determinism");
  REQUIRE(write_synthetic_model(root / "a", tiny_options(3)).ok());
  REQUIRE(write_synthetic_model(root / "b", tiny_options(3)).ok());
  REQUIRE(write_synthetic_model(root / "c", tiny_options(4)).ok());
  const std::string a = kick::test::read_file(root / "a" / "model.safetensors");
  CHECK(a == kick::test::read_file(root / "b" / "model.safetensors"));
  CHECK(a != kick::test::read_file(root / "c" / "model.safetensors"));
  // Threads do not change the values.
  synthetic_model_options one_thread = tiny_options(3);
  one_thread.threads = 1;
  REQUIRE(write_synthetic_model(root / "d", one_thread).ok());
  CHECK(a == kick::test::read_file(root / "d" / "model.safetensors"));
  // One layer fewer: the remaining layers are the same.
  synthetic_model_options fewer = tiny_options(3);
  fewer.config.n_layers = 1;
  REQUIRE(write_synthetic_model(root / "e", fewer).ok());
  auto full = load_model(root / "a");
  auto one = load_model(root / "e");
  REQUIRE(full.has_value());
  REQUIRE(one.has_value());
  CHECK(values_of(full->view.layers[0].w_up) == values_of(one->view.layers[0].w_up));
  CHECK(values_of(full->view.output) == values_of(one->view.output));
}

TEST_CASE("make-model: shards with an index load to the same values as one file", "[model][synthetic]") {
  const fs::path root = kick::test::scratch_dir("synthetic_shards");
  synthetic_model_options o = tiny_options(5);
  o.weight_type = dtype::bf16;
  REQUIRE(write_synthetic_model(root / "one", o).ok());
  o.max_shard_bytes = 40000;  // the tiny model is ~160 KB at 2 bytes per weight
  REQUIRE(write_synthetic_model(root / "sharded", o).ok());
  CHECK_FALSE(fs::exists(root / "sharded" / "model.safetensors"));
  CHECK(fs::exists(root / "sharded" / "model.safetensors.index.json"));
  std::size_t n_shards = 0;
  for (const auto& e : fs::directory_iterator(root / "sharded")) n_shards += e.path().filename().string().starts_with("model-0000") ? 1 : 0;
  CHECK(n_shards >= 3);
  CHECK(fs::exists(root / "sharded" / fmt::format("model-00001-of-{:05}.safetensors", n_shards)));
  auto one = load_model(root / "one");
  auto sharded = load_model(root / "sharded");
  REQUIRE(one.has_value());
  REQUIRE(sharded.has_value());
  CHECK(sharded->view.layers[1].wv.type == dtype::bf16);
  CHECK(values_of(one->view.tok_embd) == values_of(sharded->view.tok_embd));
  CHECK(values_of(one->view.layers[1].w_down) == values_of(sharded->view.layers[1].w_down));
  const auto index = nlohmann::json::parse(kick::test::read_file(root / "sharded" / "model.safetensors.index.json"));
  CHECK(index["metadata"]["total_size"].get<std::uint64_t>() == synthetic_model_bytes(o));
  CHECK(fs::file_size(root / "one" / "model.safetensors") > synthetic_model_bytes(o));
}

TEST_CASE("make-model: a non-empty directory is refused without force, replaced with it", "[model][synthetic]") {
  const fs::path dir = kick::test::scratch_dir("synthetic_force") / "model";
  kick::test::write_file(dir / "notes.txt", "mine");
  status refused = write_synthetic_model(dir, tiny_options(1));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == status_code::failed_precondition);
  CHECK(refused.message().find(dir.string()) != std::string::npos);
  CHECK(refused.message().find("--force") != std::string::npos);
  CHECK(kick::test::read_file(dir / "notes.txt") == "mine");
  synthetic_model_options forced = tiny_options(1);
  forced.force = true;
  REQUIRE(write_synthetic_model(dir, forced).ok());
  CHECK_FALSE(fs::exists(dir / "notes.txt"));
  CHECK(load_model(dir).has_value());
  std::size_t entries = 0;  // nothing left beside it (temporary or old directory)
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.parent_path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("make-model: bad configs and presets are named", "[model][synthetic]") {
  auto unknown = synthetic_preset("70b");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message().find("'70b'") != std::string::npos);
  CHECK(unknown.error().message().find("tiny") != std::string::npos);
  synthetic_model_options o = tiny_options(1);
  o.config.n_kv_heads = 3;
  const fs::path dir = kick::test::scratch_dir("synthetic_bad") / "model";
  status s = write_synthetic_model(dir, o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("kv_heads 3") != std::string::npos);
  CHECK_FALSE(fs::exists(dir));
  o = tiny_options(1);
  o.weight_type = dtype::q8_0;
  CHECK(write_synthetic_model(dir, o).code() == status_code::invalid_argument);
}

TEST_CASE("write_safetensors_streamed: a fill that gives the wrong size fails and leaves no file", "[model][safetensors]") {
  const fs::path path = kick::test::scratch_dir("streamed_safetensors") / "x.safetensors";
  const std::vector<safetensors_tensor_spec> specs = {{"a", "F32", {2, 3}}, {"b", "F16", {5}}};
  std::vector<std::byte> zeros(64);
  // Chunks of any size add up: the file then reads back through the normal path.
  status ok = write_safetensors_streamed(path, specs, {}, [&](const safetensors_tensor_spec& t, const safetensors_sink& sink) {
    const std::size_t n = t.name == "a" ? 24 : 10;
    for (std::size_t i = 0; i < n; i += 4)
      if (status s = sink(std::span<const std::byte>(zeros.data(), std::min<std::size_t>(4, n - i))); !s.ok()) return s;
    return status{};
  });
  REQUIRE(ok.ok());
  CHECK(fs::exists(path));
  fs::remove(path);
  status short_fill = write_safetensors_streamed(path, specs, {}, [&](const safetensors_tensor_spec& t, const safetensors_sink& sink) {
    return sink(std::span<const std::byte>(zeros.data(), t.name == "b" ? 8 : 24));
  });
  REQUIRE_FALSE(short_fill.ok());
  CHECK(short_fill.message().find("'b'") != std::string::npos);
  CHECK(short_fill.message().find("8 of its 10 bytes") != std::string::npos);
  status long_fill = write_safetensors_streamed(path, specs, {}, [&](const safetensors_tensor_spec&, const safetensors_sink& sink) {
    return sink(std::span<const std::byte>(zeros.data(), 64));
  });
  REQUIRE_FALSE(long_fill.ok());
  CHECK(long_fill.message().find("more than its 24 bytes") != std::string::npos);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(path.parent_path()));
}

TEST_CASE("kickhost make-model writes the tiny preset and refuses bad options", "[cli][synthetic]") {
  const fs::path dir = kick::test::scratch_dir("make_model_cli") / "tiny";
  auto r = kick::test::run_kickhost({"make-model", "--preset", "tiny", "--layers", "1", "--out", dir.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("100%") != std::string::npos);
  auto model = load_model(dir);
  REQUIRE(model.has_value());
  CHECK(model->view.config.n_layers == 1);
  r = kick::test::run_kickhost({"make-model", "--preset", "tiny", "--out", dir.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--force") != std::string::npos);
  r = kick::test::run_kickhost({"make-model", "--preset", "tiny", "--out", dir.string(), "--force", "--dtype", "q4"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("'q4'") != std::string::npos);
  r = kick::test::run_kickhost({"make-model", "--preset", "7x", "--out", dir.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("'7x'") != std::string::npos);
}
