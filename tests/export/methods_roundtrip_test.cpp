// Every method plugin present in the build, through `kickhost compress` -> saved directory ->
// `kickhost run`, evaluates exactly like the same compression done inside `kickhost run`; and the
// stories260K fixture model goes through compress -> save -> reload -> evaluate.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "core/model/safetensors_file.h"

#include "export/export_model_support.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;

struct method_case {
  std::string method;
  std::vector<std::pair<std::string, std::string>> params;  // key, TOML value
};

nlohmann::json read_json(const std::filesystem::path& file) { return nlohmann::json::parse(read_file(file)); }

// Compresses `model` with `c` through kickhost compress and inside kickhost run (same calibration),
// evaluates the saved directory, and checks both give the same perplexity and per-layer report.
void check_round_trip(const std::filesystem::path& dir, const std::string& model, const std::string& tokenizer,
                      const method_case& c, const std::string& plugin_dir) {
  INFO("method " << c.method);
  const auto saved = dir / ("saved-" + c.method);
  std::vector<std::string> args = {"compress", "--model", model, "--tokenizer", tokenizer, "--method", c.method,
                                   "--out", saved.string(), "--calibration-data", (dir / "text.txt").string(),
                                   "--nsamples", "4", "--seqlen", "32", "--plugin-dir", plugin_dir};
  std::string params_toml;
  for (const auto& [key, value] : c.params) {
    args.push_back("--set");
    args.push_back(key + "=" + value);
    params_toml += key + " = " + value + "\n";
  }
  const auto compressed = run_kickhost(args);
  INFO(compressed.err);
  REQUIRE(compressed.exit_code == 0);
  CHECK_THAT(compressed.out, Catch::Contains("saved: "));
  const std::string task = "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\nseqlen = 64\n";
  const std::string backend = "[backend]\nname = \"cpu\"\nthreads = 1\n";
  write_file(dir / "saved.toml", "[model]\npath = \"" + saved.string() + "\"\n" + backend + task);
  write_file(dir / "inrun.toml", "[model]\npath = \"" + model + "\"\ntokenizer = \"" + tokenizer + "\"\n" + backend +
                                     "[compress]\nmethod = \"" + c.method + "\"\n" + params_toml +
                                     "[compress.calibration]\ndata = \"text.txt\"\nnsamples = 4\nseqlen = 32\n" + task);
  const auto a = run_kickhost({"run", (dir / "saved.toml").string(), "--out", (dir / ("out-saved-" + c.method)).string(),
                               "--plugin-dir", plugin_dir});
  const auto b = run_kickhost({"run", (dir / "inrun.toml").string(), "--out", (dir / ("out-inrun-" + c.method)).string(),
                               "--plugin-dir", plugin_dir});
  INFO(a.err << b.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  const auto saved_results = read_json(dir / ("out-saved-" + c.method) / "results.json");
  const auto inrun_results = read_json(dir / ("out-inrun-" + c.method) / "results.json");
  CHECK(saved_results["results"]["perplexity"]["ppl,none"].get<double>() ==
        inrun_results["results"]["perplexity"]["ppl,none"].get<double>());
  const auto config = read_json(saved / "config.json");
  CHECK(config["kick_compression"]["method"] == c.method);
  const auto& mine = config["kick_compression"]["per_layer"];
  const auto& theirs = inrun_results["compression"]["per_layer"];
  REQUIRE(mine.size() == theirs.size());
  REQUIRE(!mine.empty());
  for (std::size_t i = 0; i < mine.size(); ++i) {
    CHECK(mine[i]["format"] == theirs[i]["format"]);
    CHECK(mine[i]["achieved_sparsity"] == theirs[i]["achieved_sparsity"]);
    CHECK(mine[i]["bits_per_weight"] == theirs[i]["bits_per_weight"]);
  }
  // A re-run with the same seed gives bit-identical tensors (the metadata holds timings).
  const auto again = dir / ("again-" + c.method);
  args[std::find(args.begin(), args.end(), "--out") - args.begin() + 1] = again.string();
  const auto rerun = run_kickhost(args);
  REQUIRE(rerun.exit_code == 0);
  kick::test::check_same_tensors(saved / "model.safetensors", again / "model.safetensors");
}

// The method plugins of the build, with parameters valid for the tiny models (groups of 32).
std::vector<method_case> in_tree_methods() {
  const std::vector<method_case> all = {
      {"magnitude", {{"sparsity", "0.5"}}},
      {"wanda", {{"pattern", "\"2:4\""}}},
      {"sparsegpt", {{"sparsity", "0.6"}}},
      {"sparsegpt", {{"pattern", "\"2:4\""}, {"bits", "4"}}},
      {"gptq", {{"group_size", "32"}, {"act_order", "true"}}},
      {"rtn", {{"bits", "3"}, {"group_size", "32"}}},
      {"awq", {{"group_size", "32"}}},
      {"nf4", {}},
      {"int8", {}},
  };
  std::vector<method_case> present;
  for (const method_case& c : all) {
    if (std::filesystem::exists(kick::test::plugin_dir() / ("method-" + c.method + ".toml"))) present.push_back(c);
    else WARN("method plugin " << c.method << " is not built: not tested here");
  }
  return present;
}

}  // namespace

TEST_CASE("every built method plugin: kickhost compress, then kickhost run on the saved model", "[export][e2e]") {
  const auto dir = kick::test::scratch_dir("export-methods");
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, 21);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  std::string text;
  // Short paragraphs: one document for "windows" sampling, many short ones for AWQ's "blocks".
  for (int i = 0; i < 60; ++i) text += i % 2 == 0 ? "a hat, a cat and the mat.\n\n" : "the cat sat on it.\n\n";
  write_file(dir / "text.txt", text);
  for (const method_case& c : in_tree_methods()) {
    const auto sub = dir / (c.method + "-" + std::to_string(c.params.size()));
    std::filesystem::create_directories(sub);
    std::filesystem::copy_file(dir / "text.txt", sub / "text.txt");
    check_round_trip(sub, (dir / "model.bin").string(), (dir / "tokenizer.bin").string(), c, kick::test::plugin_dir().string());
  }
}

TEST_CASE("stories260K: compress, save, reload and evaluate", "[export][e2e][fixture]") {
  KICK_REQUIRE_FIXTURE(model, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(tokenizer, "stories260K/tok512.bin");
  const auto dir = kick::test::scratch_dir("export-stories260k");
  std::string text;
  for (int i = 0; i < 20; ++i) text += "Once upon a time, there was a little girl named Lily.\n\nShe liked to play in the park.\n\n";
  write_file(dir / "text.txt", text);
  check_round_trip(dir, model.string(), tokenizer.string(), {"threshold", {{"threshold", "0.05"}}}, kick::test::out_of_tree_plugin_dir().string());
  for (const std::string method : {"rtn", "sparsegpt"}) {  // reference defaults (one group per row, 50%)
    if (std::filesystem::exists(kick::test::plugin_dir() / ("method-" + method + ".toml")))
      check_round_trip(dir, model.string(), tokenizer.string(), {method, {}}, kick::test::plugin_dir().string());
  }
}
