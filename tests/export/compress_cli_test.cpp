// `kickhost compress` end to end with the out-of-tree threshold method (built by the ctest fixture
// "out-of-tree: ..."): compress -> save -> inspect -> `kickhost run` on the saved directory.
#include <catch2/catch.hpp>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/model/safetensors_file.h"
#include "export/export_model_support.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;

double perplexity(const std::filesystem::path& results) {
  return nlohmann::json::parse(read_file(results))["results"]["perplexity"]["ppl,none"].get<double>();
}

}  // namespace

TEST_CASE("kickhost compress saves a model that kickhost run evaluates like the in-run compression", "[export][e2e]") {
  const auto dir = kick::test::scratch_dir("export-cli");
  const std::string plugins = kick::test::out_of_tree_plugin_dir().string();
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, 99);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  std::string text;
  for (int i = 0; i < 30; ++i) text += "a hat, a cat and the mat. ";
  write_file(dir / "text.txt", text);

  const auto saved = dir / "saved";
  const auto c = run_kickhost({"compress", "--model", (dir / "model.bin").string(), "--method", "threshold", "--set",
                               "threshold=0.1", "--out", saved.string(), "--plugin-dir", plugins});
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.out, Catch::Contains("layers.0.self_attn.q_proj") && Catch::Contains("sparse-bitmap") &&
                        Catch::Contains("saved: " + saved.string()));
  CHECK(std::filesystem::exists(saved / "config.json"));
  CHECK(std::filesystem::exists(saved / "tokenizer.bin"));  // the llama2.c tokenizer found beside model.bin
  const auto config = nlohmann::json::parse(read_file(saved / "config.json"));
  CHECK(config["kick_compression"]["method"] == "threshold");
  CHECK(config["kick_compression"]["params"]["threshold"] == Approx(0.1));
  CHECK(config["kick_compression"]["per_layer"].size() == 14);

  const auto inspect = run_kickhost({"inspect", saved.string()});
  INFO(inspect.err);
  CHECK(inspect.exit_code == 0);
  CHECK_THAT(inspect.out, Catch::Contains("sparse-bitmap") && Catch::Contains("compression:") && Catch::Contains("threshold"));

  // The saved model evaluated as is, and the source compressed inside the run: the same perplexity.
  write_file(dir / "saved.toml", "[model]\npath = \"saved\"\n[backend]\nname = \"cpu\"\nthreads = 1\n"
                                 "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\nseqlen = 64\n");
  write_file(dir / "inrun.toml", "[model]\npath = \"model.bin\"\ntokenizer = \"tokenizer.bin\"\n[backend]\nname = \"cpu\"\nthreads = 1\n"
                                 "[compress]\nmethod = \"threshold\"\nthreshold = 0.1\n"
                                 "[[task]]\nname = \"perplexity\"\ndataset = \"text.txt\"\nseqlen = 64\n");
  const auto a = run_kickhost({"run", (dir / "saved.toml").string(), "--out", (dir / "out-saved").string(), "--plugin-dir", plugins});
  const auto b = run_kickhost({"run", (dir / "inrun.toml").string(), "--out", (dir / "out-inrun").string(), "--plugin-dir", plugins});
  INFO(a.err << b.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(perplexity(dir / "out-saved" / "results.json") == perplexity(dir / "out-inrun" / "results.json"));

  // A second compression gives bit-identical tensors (the metadata holds timings, so the files differ).
  const auto again = dir / "again";
  const auto c2 = run_kickhost({"compress", "--model", (dir / "model.bin").string(), "--method", "threshold", "--set",
                                "threshold=0.1", "--out", again.string(), "--plugin-dir", plugins});
  REQUIRE(c2.exit_code == 0);
  kick::test::check_same_tensors(saved / "model.safetensors", again / "model.safetensors");
}

TEST_CASE("kickhost compress refuses bad input before loading the model", "[export][e2e]") {
  const auto dir = kick::test::scratch_dir("export-cli-bad");
  const std::string plugins = kick::test::out_of_tree_plugin_dir().string();
  const std::string missing_model = (dir / "no-such-model.bin").string();
  const auto base = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"compress", "--model", missing_model, "--plugin-dir", plugins, "--out", (dir / "out").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_kickhost(args);
  };
  const auto bad_param = base({"--method", "threshold", "--set", "threshold=-1"});
  CHECK(bad_param.exit_code == 2);
  CHECK_THAT(bad_param.err, Catch::Contains("threshold"));
  CHECK_THAT(bad_param.err, !Catch::Contains("no-such-model"));
  const auto unknown_param = base({"--method", "threshold", "--set", "treshold=0.2"});
  CHECK(unknown_param.exit_code == 2);
  CHECK_THAT(unknown_param.err, Catch::Contains("treshold"));
  const auto unknown_method = base({"--method", "thresold"});
  CHECK(unknown_method.exit_code == 2);
  CHECK_THAT(unknown_method.err, Catch::Contains("thresold") && Catch::Contains("threshold"));
  // A copy of the threshold method that claims to need a Hessian: calibration is checked up front.
  std::string manifest = read_file(std::filesystem::path(plugins) / "method-threshold.toml");
  const auto at = manifest.find("needs = []");
  REQUIRE(at != std::string::npos);
  manifest.replace(at, 10, "needs = [\"hessian\"]");
  const auto staged = dir / "plugins";
  std::filesystem::create_directories(staged);
  std::filesystem::copy_file(std::filesystem::path(plugins) / "libkick-method-threshold.so", staged / "libkick-method-threshold.so");
  write_file(staged / "method-threshold.toml", manifest);
  write_file(dir / "calib.txt", "some calibration text");
  const auto calibrated = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"compress", "--model", missing_model, "--plugin-dir", staged.string(), "--method", "threshold",
                                     "--out", (dir / "out").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_kickhost(args);
  };
  const auto no_data = calibrated({});
  CHECK(no_data.exit_code == 2);
  CHECK_THAT(no_data.err, Catch::Contains("needs calibration statistics (hessian)"));
  const auto bad_nsamples = calibrated({"--calibration-data", (dir / "calib.txt").string(), "--nsamples", "0"});
  CHECK(bad_nsamples.exit_code == 2);
  CHECK_THAT(bad_nsamples.err, Catch::Contains("nsamples 0"));
  const auto bad_sampling = calibrated({"--calibration-data", (dir / "calib.txt").string(), "--sampling", "random"});
  CHECK(bad_sampling.exit_code == 2);
  CHECK_THAT(bad_sampling.err, Catch::Contains("sampling 'random'"));
  for (const auto* r : {&no_data, &bad_nsamples, &bad_sampling}) CHECK_THAT(r->err, !Catch::Contains("no-such-model"));
  write_file(dir / "vocab.gguf", std::string("GGUF") + std::string(60, '\0'));
  const auto gguf_tokenizer = base({"--method", "threshold", "--tokenizer", (dir / "vocab.gguf").string()});
  CHECK(gguf_tokenizer.exit_code == 2);
  CHECK_THAT(gguf_tokenizer.err, Catch::Contains("vocab.gguf") && Catch::Contains("GGUF"));
  const auto missing_out = run_kickhost({"compress", "--model", missing_model, "--method", "threshold"});
  CHECK(missing_out.exit_code == 2);
  CHECK_THAT(missing_out.err, Catch::Contains("--out"));
  CHECK(!std::filesystem::exists(dir / "out"));
}
