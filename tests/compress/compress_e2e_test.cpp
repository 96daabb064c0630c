// Compression end to end: the out-of-tree threshold method (built by the ctest fixture
// "out-of-tree: ...") prunes a tiny model inside `kickhost run`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;

// model.bin (tiny random llama2.c, `seed`), tokenizer.bin and text.txt in `dir`.
void write_tiny_inputs(const std::filesystem::path& dir, std::uint64_t seed) {
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, seed);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  std::string text;
  for (int i = 0; i < 30; ++i) text += "a hat, a cat and the mat. ";
  write_file(dir / "text.txt", text);
}

}  // namespace

TEST_CASE("a method plugin from another directory compresses a model inside kickhost run", "[e2e][compress]") {
  const auto dir = kick::test::scratch_dir("compress-e2e");
  write_tiny_inputs(dir, 99);
  write_file(dir / "run.toml", R"(
[model]
path = "model.bin"
tokenizer = "tokenizer.bin"
[backend]
name = "cpu"
[compress]
method = "threshold"
threshold = 0.1
[[task]]
name = "perplexity"
dataset = "text.txt"
seqlen = 64
)");
  const std::string plugin_dir = kick::test::out_of_tree_plugin_dir().string();
  const auto dense = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", plugin_dir, "--out",
                                   (dir / "dense").string(), "--set", "compress.method=none"});
  const auto pruned = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", plugin_dir, "--out",
                                    (dir / "pruned").string()});
  INFO(dense.err << pruned.err);
  REQUIRE(dense.exit_code == 0);
  REQUIRE(pruned.exit_code == 0);
  const auto d = nlohmann::json::parse(read_file(dir / "dense" / "results.json"));
  const auto p = nlohmann::json::parse(read_file(dir / "pruned" / "results.json"));
  CHECK(d["compression"]["method"] == "none");
  CHECK(p["compression"]["method"] == "threshold");
  CHECK(p["compression"]["params"]["threshold"] == Approx(0.1));
  // Weights ~ U(-0.2, 0.2): about half fall below 0.1 in magnitude.
  const double sparsity = p["compression"]["global_sparsity"].get<double>();
  CHECK(sparsity == Approx(0.5).margin(0.03));
  const auto& layers = p["compression"]["per_layer"];
  REQUIRE(layers.size() == 2 * 7);
  CHECK(layers[0]["name"] == "layers.0.self_attn.q_proj");
  // The method stores a bitmap of non-zeros, row offsets and the f32 non-zeros: more than the
  // values alone, less than dense f32 at this sparsity.
  CHECK(layers[0]["format"] == "sparse-bitmap");
  const double density = 1.0 - layers[0]["achieved_sparsity"].get<double>();
  CHECK(layers[0]["bits_per_weight"].get<double>() > 32.0 * density);
  CHECK(layers[0]["bits_per_weight"].get<double>() < 32.0);
  CHECK(p["config"]["method"] == "threshold");
  // Pruning half of a random model's weights must change its perplexity.
  CHECK(p["results"]["perplexity"]["ppl,none"].get<double>() != Approx(d["results"]["perplexity"]["ppl,none"].get<double>()));
}

TEST_CASE("a method that needs calibration statistics is refused before any work", "[e2e][compress]") {
  const auto dir = kick::test::scratch_dir("compress-needs");
  const std::filesystem::path plugin_dir = kick::test::out_of_tree_plugin_dir();
  // A copy of the threshold manifest that claims to need a Hessian.
  std::string manifest = read_file(plugin_dir / "method-threshold.toml");
  const auto at = manifest.find("needs = []");
  REQUIRE(at != std::string::npos);
  manifest.replace(at, 10, "needs = [\"hessian\"]");
  const auto staged = dir / "plugins";
  std::filesystem::create_directories(staged);
  std::filesystem::copy_file(plugin_dir / "libkick-method-threshold.so", staged / "libkick-method-threshold.so");
  write_file(staged / "method-threshold.toml", manifest);
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, 5);
  write_file(dir / "text.txt", "abc");
  write_file(dir / "run.toml", "[model]\npath = \"model.bin\"\n[backend]\nname = \"cpu\"\n[compress]\nmethod = \"threshold\"\n"
                               "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\n");
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", staged.string(), "--out", (dir / "out").string()});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, Catch::Contains("needs calibration statistics (hessian)"));
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.json"));
}

TEST_CASE("[[compress]] variants are each evaluated and compared in one run", "[e2e][compress]") {
  const auto dir = kick::test::scratch_dir("compress-variants");
  write_tiny_inputs(dir, 99);
  write_file(dir / "run.toml", R"(
[model]
path = "model.bin"
tokenizer = "tokenizer.bin"
[backend]
name = "cpu"
threads = 1
[[compress]]
method = "none"
[[compress]]
method = "threshold"
label = "t05"
threshold = 0.05
[[compress]]
method = "threshold"
label = "t15"
threshold = 0.15
[[task]]
name = "perplexity"
dataset = "text.txt"
seqlen = 64
)");
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", kick::test::out_of_tree_plugin_dir().string(), "--out",
                               (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  double sparsity[3] = {};
  const char* labels[3] = {"dense", "t05", "t15"};
  for (int i = 0; i < 3; ++i) {
    const auto doc = nlohmann::json::parse(read_file(dir / "out" / labels[i] / "results.json"));
    CHECK(doc["config"]["variant"] == labels[i]);
    sparsity[i] = doc["compression"]["global_sparsity"].get<double>();
  }
  CHECK(sparsity[0] == 0.0);
  CHECK(sparsity[1] > 0.0);
  CHECK(sparsity[2] > sparsity[1]);
  const std::string table = read_file(dir / "out" / "comparison.md");
  CHECK_THAT(table, Catch::Contains(" dense |") && Catch::Contains(" t05 |") && Catch::Contains(" t15 |") &&
                        Catch::Contains("perplexity") && Catch::Contains("sparsity"));
  CHECK_THAT(r.out, Catch::Contains("comparison:"));
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "comparison.json"));
  REQUIRE(summary.size() == 3);
  CHECK(summary[2]["compression"]["global_sparsity"].get<double>() == Approx(sparsity[2]));
}

TEST_CASE("[compress] save writes a model that reloads to the same scores", "[e2e][compress]") {
  const auto dir = kick::test::scratch_dir("compress-save");
  write_tiny_inputs(dir, 7);
  const std::string saved = (dir / "saved").string();
  write_file(dir / "run.toml", "[model]\npath = \"model.bin\"\ntokenizer = \"tokenizer.bin\"\n[backend]\nname = \"cpu\"\nthreads = 1\n"
                               "[compress]\nmethod = \"threshold\"\nthreshold = 0.1\nsave = \"" + saved + "\"\n"
                               "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\nseqlen = 64\n");
  const std::string plugin_dir = kick::test::out_of_tree_plugin_dir().string();
  const auto first = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", plugin_dir, "--out", (dir / "a").string()});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(std::filesystem::exists(dir / "saved" / "model.safetensors"));
  const auto second = run_kickhost({"run", (dir / "run.toml").string(), "--plugin-dir", plugin_dir, "--out", (dir / "b").string(),
                                    "--set", "compress.method=none", "--set", "model.path=" + saved, "--set",
                                    "model.tokenizer=" + (dir / "saved" / "tokenizer.bin").string()});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  const auto a = nlohmann::json::parse(read_file(dir / "a" / "results.json"));
  const auto b = nlohmann::json::parse(read_file(dir / "b" / "results.json"));
  CHECK(a["results"]["perplexity"]["ppl,none"].get<double>() == b["results"]["perplexity"]["ppl,none"].get<double>());
  // The reloaded run reports how its model was compressed.
  CHECK(b["compression"]["method"] == "threshold");
  CHECK(b["compression"]["global_sparsity"].get<double>() == a["compression"]["global_sparsity"].get<double>());
  CHECK(b["compression"]["loaded_from"] == saved);
}
