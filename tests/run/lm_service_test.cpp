// The LM service (lm-evaluation-harness's requests over a backend runner): each answer checked
// against a direct computation from the runner's logits.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/registry/plugin_registry.h"
#include "core/run/console_host.h"
#include "core/run/lm_service.h"
#include "core/run/model_session.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

struct fixture {
  kick::loaded_model model;
  std::unique_ptr<kick::tokenizer> tok;
  kick::console_host services{kick::log_level::error};
  kick::plugin_registry registry;
  kick::backend_session session;
  std::unique_ptr<kick::lm_service> lm;

  explicit fixture(std::int64_t n_ctx = 0) {
    const auto dir = kick::test::scratch_dir("lm-service");
    kick::test::write_tiny_llama2c(dir / "model.bin", {}, 77);
    kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
    auto m = kick::load_model(dir / "model.bin");
    REQUIRE(m.has_value());
    model = std::move(*m);
    auto t = kick::resolve_tokenizer(model, dir / "tokenizer.bin");
    REQUIRE(t.has_value());
    tok = std::move(*t);
    kick::registry_options ro;
    ro.plugin_dirs = {kick::test::plugin_dir()};
    ro.use_environment = false;
    ro.use_default_dirs = false;
    registry = kick::plugin_registry::discover(ro);
    auto manifest = registry.find("backend", "cpu");
    REQUIRE(manifest.has_value());
    kick::param_map params;
    params.set("threads", std::int64_t{1});
    params.set("kernels", std::string("auto"));
    params.set("compressed_values", std::string("f32"));
    params.set("activations", std::string("f32"));
    auto s = kick::open_backend_session(**manifest, params, model, n_ctx, services);
    REQUIRE(s.has_value());
    session = std::move(*s);
    lm = std::make_unique<kick::lm_service>(*session.runner, *tok, model.view.config.n_vocab);
  }

  // Logits of every position of `tokens`, straight from a fresh evaluation.
  std::vector<float> logits(const std::vector<std::int32_t>& tokens) {
    const std::int64_t n_vocab = model.view.config.n_vocab;
    std::vector<float> out(tokens.size() * static_cast<std::size_t>(n_vocab));
    REQUIRE(session.runner->eval(tokens, 0, kick::logits_mode::all, out).ok());
    return out;
  }
};

}  // namespace

TEST_CASE("lm service: token log-probabilities are log-softmax of the logits", "[run][lm]") {
  fixture f;
  const auto tokens = *f.tok->encode("the hat is on the cat", true);
  auto lp = f.lm->token_logprobs(tokens);
  REQUIRE(lp.has_value());
  REQUIRE(lp->size() == tokens.size() - 1);
  const std::int64_t n_vocab = f.model.view.config.n_vocab;
  const std::vector<float> logits = f.logits(tokens);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    const float* row = logits.data() + i * static_cast<std::size_t>(n_vocab);
    double sum = 0.0;
    for (std::int64_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v]));
    CHECK((*lp)[i] == Approx(row[tokens[i + 1]] - std::log(sum)).epsilon(1e-9));
    CHECK((*lp)[i] < 0.0);
  }
  CHECK_FALSE(f.lm->token_logprobs(std::vector<std::int32_t>{1}).has_value());
}

TEST_CASE("lm service: loglikelihood sums the continuation's log-probabilities", "[run][lm]") {
  fixture f;
  auto ll = f.lm->loglikelihood("the cat sat on", " the mat");
  REQUIRE(ll.has_value());
  const auto whole = *f.tok->encode("the cat sat on the mat", true);
  const auto context = *f.tok->encode("the cat sat on", true);
  REQUIRE(whole.size() > context.size());
  CHECK(ll->n_tokens == static_cast<std::int64_t>(whole.size() - context.size()));
  const auto lp = *f.lm->token_logprobs(whole);
  double want = 0.0;
  for (std::size_t i = context.size(); i < whole.size(); ++i) want += lp[i - 1];
  CHECK(ll->logprob == Approx(want).epsilon(1e-6));

  SECTION("the cached prefix gives the same answer as a fresh evaluation") {
    auto other = f.lm->loglikelihood("the cat sat on", " a hat");
    REQUIRE(other.has_value());
    auto again = f.lm->loglikelihood("the cat sat on", " the mat");
    REQUIRE(again.has_value());
    CHECK(again->logprob == Approx(ll->logprob).epsilon(1e-6));
    CHECK(again->is_greedy == ll->is_greedy);
  }
  SECTION("is_greedy holds exactly for the model's own greedy continuation") {
    auto greedy = f.lm->generate_until("the cat", {.max_tokens = 4, .stop = {}});
    REQUIRE(greedy.has_value());
    REQUIRE_FALSE(greedy->empty());
    auto g = f.lm->loglikelihood("the cat", *greedy);
    REQUIRE(g.has_value());
    CHECK(g->is_greedy);
  }
  SECTION("an empty continuation is refused") {
    CHECK_FALSE(f.lm->loglikelihood("the cat", "").has_value());
  }
}

TEST_CASE("lm service: a context longer than the window is left-truncated", "[run][lm]") {
  fixture f(48);
  std::string context;
  for (int i = 0; i < 20; ++i) context += "the cat ";
  auto ll = f.lm->loglikelihood(context, "sat");
  REQUIRE(ll.has_value());
  CHECK(ll->n_tokens >= 1);
  CHECK(std::isfinite(ll->logprob));
  std::string long_continuation;
  for (int i = 0; i < 60; ++i) long_continuation += "x";
  auto too_long = f.lm->loglikelihood("a", long_continuation);
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().code() == kick::status_code::out_of_range);
}

TEST_CASE("lm service: greedy generation follows the argmax and honours stop strings", "[run][lm]") {
  fixture f;
  auto text = f.lm->generate_until("the", {.max_tokens = 6, .stop = {}});
  REQUIRE(text.has_value());
  // Rebuild the greedy chain from raw logits.
  auto tokens = *f.tok->encode("the", true);
  const std::size_t prompt_size = tokens.size();
  const std::int64_t n_vocab = f.model.view.config.n_vocab;
  for (int step = 0; step < 6; ++step) {
    const std::vector<float> logits = f.logits(tokens);
    const float* last = logits.data() + (tokens.size() - 1) * static_cast<std::size_t>(n_vocab);
    const auto next = static_cast<std::int32_t>(kick::argmax_of(last, n_vocab));
    if (next == f.tok->eos()) break;
    tokens.push_back(next);
  }
  const std::string full = f.tok->decode(tokens);
  const std::string prompt = f.tok->decode(std::span(tokens).first(prompt_size));
  CHECK(*text == full.substr(prompt.size()));
  if (text->size() > 1) {
    const std::string stop = text->substr(1, 1);
    auto stopped = f.lm->generate_until("the", {.max_tokens = 6, .stop = {stop}});
    REQUIRE(stopped.has_value());
    CHECK(*stopped == text->substr(0, text->find(stop)));
  }
}
