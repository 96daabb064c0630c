// kickhost's command line: every subcommand on good input, and one clear line with exit code 2
// on bad flags and bad input.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

using kick::test::run_kickhost;

// The golden text quoted in the fixture's README: the indented block under "## Golden output".
std::string golden_text(const std::filesystem::path& readme) {
  std::ifstream in(readme);
  std::string line, text;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## Golden output", 0) == 0) {
      in_section = true;
      continue;
    }
    if (!in_section) continue;
    if (line.rfind("    ", 0) == 0) {
      if (!text.empty()) text += "\n";
      text += line.substr(4);
    } else if (!text.empty() && !line.empty()) {
      break;
    }
  }
  return text;
}

}  // namespace

TEST_CASE("kickhost without a command or with an unknown one prints usage and exits 2", "[cli]") {
  auto r = run_kickhost({});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("usage: kickhost <command>"));
  r = run_kickhost({"rnu"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown command 'rnu'") && Catch::Contains("did you mean 'run'"));
  r = run_kickhost({"--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("plugins list|check"));
}

TEST_CASE("bad flags name the flag and exit 2", "[cli]") {
  auto r = run_kickhost({"run", "m.toml", "--frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("frobnicate"));
  r = run_kickhost({"run"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("manifest"));
  r = run_kickhost({"generate", "--model", "x", "--prompt", "p", "--max-tokens", "many"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("max-tokens"));
  r = run_kickhost({"plugins", "show"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown action 'show'"));
  r = run_kickhost({"tokenize", "--text", "hi"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--model or --tokenizer"));
  r = run_kickhost({"inspect", "/nonexistent/model.gguf"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent/model.gguf"));
}

TEST_CASE("kickhost plugins list and check see the built plugins", "[cli][plugin]") {
  auto r = run_kickhost({"plugins", "list"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("perplexity") && Catch::Contains("cpu"));
  CHECK_THAT(r.out, Catch::Contains("seqlen (int, default 2048)"));
  r = run_kickhost({"plugins", "check"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("ok      task perplexity") && Catch::Contains("ok      backend cpu"));
  r = run_kickhost({"plugins", "list", "--plugin-dir", "/nonexistent-plugins"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent-plugins") && Catch::Contains("does not exist"));
}

TEST_CASE("kickhost generate on stories260K prints the golden text", "[cli][fixture]") {
  KICK_REQUIRE_FIXTURE(model, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(readme, "stories260K/README.md");
  const std::string golden = golden_text(readme);
  REQUIRE(golden.size() > 400);
  const auto r = run_kickhost({"generate", "--model", model.string(), "--prompt", "", "--max-tokens", "200"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.substr(0, golden.size()) == golden);
}

TEST_CASE("kickhost tokenize on the vocab-only GGUF matches llama.cpp's ids", "[cli][fixture]") {
  KICK_REQUIRE_FIXTURE(vocab, "tokenizer/ggml-vocab-llama-spm.gguf");
  KICK_REQUIRE_FIXTURE(spm, "tokenizer/llama2-tokenizer.model");
  const auto a = run_kickhost({"tokenize", "--model", vocab.string(), "--text", "Hello world"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == "15043 3186\n");  // vector 12 of ggml-vocab-llama-spm.gguf.out
  const auto b = run_kickhost({"tokenize", "--tokenizer", spm.string(), "--text", "Hello world", "--bos"});
  REQUIRE(b.exit_code == 0);
  CHECK(b.out == "1 " + a.out);
}

TEST_CASE("kickhost inspect describes a llama2.c model", "[cli]") {
  const auto dir = kick::test::scratch_dir("cli-inspect");
  kick::test::write_tiny_llama2c(dir / "model.bin", {}, 7);
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  const auto r = run_kickhost({"inspect", (dir / "model.bin").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("llama2c"));
  CHECK_THAT(r.out, Catch::Contains("272"));
  CHECK_THAT(r.out, Catch::Contains("llama2c"));
}

TEST_CASE("kickhost generate stops before a stop string", "[cli][fixture]") {
  KICK_REQUIRE_FIXTURE(model, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(readme, "stories260K/README.md");
  const std::string golden = golden_text(readme);
  const auto r = run_kickhost({"generate", "--model", model.string(), "--prompt", "", "--max-tokens", "200", "--stop", ","});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == golden.substr(0, golden.find(',')) + "\n");
  // A prompt continues where it ends: the golden text after its first words.
  const auto p = run_kickhost({"generate", "--model", model.string(), "--prompt", "Once upon a time", "--max-tokens", "5"});
  REQUIRE(p.exit_code == 0);
  CHECK(golden.substr(std::string("Once upon a time").size()).starts_with(p.out.substr(0, p.out.size() - 1)));
  CHECK(p.out.size() > 5);
}
