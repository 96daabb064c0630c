// The cpu backend on a real pretrained model: stories260K greedy output equals the golden text
// quoted in the fixture's README (the output documented by llama2.c).
#include <catch2/catch.hpp>

#include <sstream>

#include "backend/backend_fixture.h"
#include "backend/reference_forward.h"
#include "core/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace kick::test {
namespace {

// The indented block under the "Golden output" heading, its lines joined with "\n".
std::string golden_text(const std::string& readme) {
  std::istringstream in(readme);
  std::string line, text;
  bool in_section = false, in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      if (in_block) break;
      in_section = line.find("Golden output") != std::string::npos;
      continue;
    }
    if (!in_section) continue;
    if (line.rfind("    ", 0) == 0) {
      if (in_block) text += '\n';
      text += line.substr(4);
      in_block = true;
    } else if (in_block) {
      break;
    }
  }
  return text;
}

// Greedy decoding from BOS until `n_tokens` tokens are generated or BOS/EOS comes back.
std::vector<std::int32_t> greedy_from_bos(model_runner& runner, const tokenizer& tok, std::int64_t n_vocab, std::int64_t n_tokens) {
  std::vector<std::int32_t> generated;
  std::vector<float> logits(static_cast<std::size_t>(n_vocab));
  std::int32_t next = tok.bos();
  for (std::int64_t pos = 0; pos < n_tokens; ++pos) {
    const std::int32_t one[1] = {next};
    const status s = runner.eval(one, pos, logits_mode::last, logits);
    REQUIRE(s.ok());
    next = static_cast<std::int32_t>(reference_argmax(logits.data(), n_vocab));
    if (next == tok.bos() || next == tok.eos()) break;
    generated.push_back(next);
  }
  return generated;
}

TEST_CASE("cpu backend: stories260K greedy output matches the golden text", "[backend][cpu][fixture]") {
  KICK_REQUIRE_FIXTURE(model_path, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(tokenizer_path, "stories260K/tok512.bin");
  KICK_REQUIRE_FIXTURE(readme_path, "stories260K/README.md");
  const std::string golden = golden_text(read_file(readme_path));
  REQUIRE(golden.size() > 200);
  REQUIRE(golden.rfind("Once upon a time", 0) == 0);

  auto model = load_model(model_path);
  REQUIRE(model);
  auto tok = load_tokenizer(tokenizer_path);
  REQUIRE(tok);
  const std::int64_t n_vocab = model->view.config.n_vocab;
  REQUIRE(n_vocab == 512);

  test_host host;
  for (const std::string& kernels : usable_kernel_sets(host)) {
    INFO("kernels " << kernels);
    auto b = open_cpu_backend(host, 0, kernels);
    REQUIRE(b);
    auto runner = load_runner(**b, model->view);
    REQUIRE(runner->context_length() == 512);
    const std::vector<std::int32_t> generated = greedy_from_bos(*runner, **tok, n_vocab, 256);
    const std::string text = (*tok)->decode(generated);
    INFO("generated: " << text);
    CHECK(text.substr(0, golden.size()) == golden);
  }
}

TEST_CASE("cpu backend: stories260K prefill matches the reference forward", "[backend][cpu][fixture]") {
  KICK_REQUIRE_FIXTURE(model_path, "stories260K/stories260K.bin");
  auto model = load_model(model_path);
  REQUIRE(model);
  const std::int64_t n_vocab = model->view.config.n_vocab;
  const std::vector<std::int32_t> tokens = random_tokens(n_vocab, 40, 77);
  test_host host;
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  auto runner = load_runner(**b, model->view);
  const std::vector<float> got = eval_all(*runner, n_vocab, tokens, 0);
  CHECK(relative_error(got, reference_forward(model->view, tokens)) < 2e-5);
}

}  // namespace
}  // namespace kick::test
