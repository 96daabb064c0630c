// The vulkan backend end to end through its plugin: the same logits as the reference forward
// and the cpu backend, for every architecture option, dense dtype and compressed format; the
// runner's cache semantics; clear errors. Skips visibly without a Vulkan device.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "backend/backend_fixture.h"
#include "backend/reference_forward.h"
#include "core/bench/synthetic_weights.h"
#include "core/model/model_loader.h"
#include "support/test_support.h"

using namespace kick;
using namespace kick::test;

namespace {

// GPU sums run in another order than the reference's doubles; observed about 1e-6.
constexpr double k_tolerance = 5e-5;
constexpr dtype k_dtypes[] = {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0};

#define KICK_OPEN_VULKAN(var, host, ...)                        \
  auto var##_made = open_vulkan_backend(host, ##__VA_ARGS__);   \
  if (!var##_made) {                                            \
    skip("no usable vulkan backend: " + var##_made.error().message()); \
    return;                                                     \
  }                                                             \
  backend& var = **var##_made

}  // namespace

TEST_CASE("vulkan backend: prefill and decode logits match the reference forward", "[backend][vulkan]") {
  test_host host;
  KICK_OPEN_VULKAN(b, host);
  std::uint64_t seed = 11;
  for (const named_config& nc : tiny_configs()) {
    for (dtype type : k_dtypes) {
      const loaded_model model = make_random_model(nc.config, seed++, type);
      auto runner = load_runner(b, model.view);
      // 20 tokens take the tiled matmul, 3 the matrix-vector kernels.
      for (std::int64_t n_tokens : {20, 3}) {
        INFO(nc.name << ", " << traits(type).name << ", " << n_tokens << " tokens");
        const std::vector<std::int32_t> tokens = random_tokens(nc.config.n_vocab, n_tokens, seed++);
        const std::vector<double> want = reference_forward(model.view, tokens);
        const std::vector<float> got = eval_all(*runner, nc.config.n_vocab, tokens, 0);
        CHECK(relative_error(got, want) < k_tolerance);
      }
    }
  }
}

TEST_CASE("vulkan backend: compressed layers give the cpu backend's logits", "[backend][vulkan]") {
  test_host host;
  KICK_OPEN_VULKAN(vk, host);
  auto cpu = open_cpu_backend(host);
  REQUIRE(cpu);
  llama_config c = tiny_configs().front().config;
  c.n_embd = 128, c.n_ff = 256, c.n_layers = 2;  // whole groups of 128 for the group-quantized formats
  c.head_dim = 32;
  const compressed_model model = compress_all(c, 5);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 12, 3);
  auto vk_runner = load_runner(vk, model.base.view);
  auto cpu_runner = load_runner(**cpu, model.base.view);
  const std::vector<float> want = eval_all(*cpu_runner, c.n_vocab, tokens, 0);
  CHECK(relative_error(eval_all(*vk_runner, c.n_vocab, tokens, 0), want) < k_tolerance);
  // Decode after the prefix: the matrix-vector kernels of every format.
  const std::int32_t next[] = {7};
  const std::vector<float> want_next = eval_all(*cpu_runner, c.n_vocab, next, 12);
  CHECK(relative_error(eval_all(*vk_runner, c.n_vocab, next, 12), want_next) < k_tolerance);
}

TEST_CASE("vulkan backend: prefill equals step-by-step decode, and rewinding reproduces logits", "[backend][vulkan]") {
  test_host host;
  KICK_OPEN_VULKAN(b, host);
  const llama_config c = tiny_configs().front().config;
  const loaded_model model = make_random_model(c, 3, dtype::f16);
  auto runner = load_runner(b, model.view);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 10, 4);
  const std::vector<float> prefill = eval_all(*runner, c.n_vocab, tokens, 0);
  std::vector<float> stepwise;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::vector<float> step = eval_all(*runner, c.n_vocab, std::span(tokens).subspan(i, 1), static_cast<std::int64_t>(i));
    stepwise.insert(stepwise.end(), step.begin(), step.end());
  }
  CHECK(relative_error(stepwise, prefill) < k_tolerance);
  // Rewind to position 4 and re-evaluate the tail: the same logits as the first time.
  const std::vector<float> tail = eval_all(*runner, c.n_vocab, std::span(tokens).subspan(4), 4);
  CHECK(relative_error(tail, std::span(prefill).subspan(4 * static_cast<std::size_t>(c.n_vocab))) < k_tolerance);
  // logits_mode::last returns the final row.
  std::vector<float> last(static_cast<std::size_t>(c.n_vocab), NAN);
  REQUIRE(runner->eval(tokens, 0, logits_mode::last, last).ok());
  CHECK(relative_error(last, std::span(prefill).subspan(9 * static_cast<std::size_t>(c.n_vocab))) < k_tolerance);
}

TEST_CASE("vulkan backend: bad requests and unknown devices are clear errors", "[backend][vulkan]") {
  test_host host;
  KICK_OPEN_VULKAN(b, host);
  const llama_config c = tiny_configs().front().config;
  const loaded_model model = make_random_model(c, 3, dtype::f32);
  auto runner = load_runner(b, model.view, 16);
  std::vector<float> logits(static_cast<std::size_t>(c.n_vocab) * 32);
  const std::vector<std::int32_t> too_many(17, 1);
  CHECK(runner->eval(too_many, 0, logits_mode::all, logits).code() == status_code::out_of_range);
  const std::int32_t bad_token[] = {static_cast<std::int32_t>(c.n_vocab)};
  const status s = runner->eval(bad_token, 0, logits_mode::all, logits);
  CHECK(s.code() == status_code::invalid_argument);
  CHECK_THAT(s.message(), Catch::Contains("outside"));
  CHECK(runner->eval(std::span(too_many).first(1), 3, logits_mode::all, logits).code() == status_code::out_of_range);

  auto missing = open_vulkan_backend(host, "no-such-gpu-anywhere");
  REQUIRE(missing);  // the device is chosen when a model loads
  auto load = (*missing)->load(model.view, runner_options{});
  REQUIRE_FALSE(load);
  CHECK(load.error().code() == status_code::not_found);
  CHECK_THAT(load.error().message(), Catch::Contains("no-such-gpu-anywhere"));
}

TEST_CASE("vulkan backend: scoring on the device gives the cpu backend's log-probabilities and argmax", "[backend][vulkan]") {
  test_host host;
  KICK_OPEN_VULKAN(vk, host);
  auto cpu = open_cpu_backend(host);
  REQUIRE(cpu);
  const llama_config c = tiny_configs().front().config;
  const loaded_model model = make_random_model(c, 9, dtype::f16);
  auto vk_runner = load_runner(vk, model.view);
  auto cpu_runner = load_runner(**cpu, model.view);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 30, 8);
  const std::vector<std::int32_t> targets = random_tokens(c.n_vocab, 30, 9);
  std::vector<double> want_lp(30), got_lp(30);
  std::vector<std::int32_t> want_am(30), got_am(30, -1);
  REQUIRE(cpu_runner->score(tokens, 0, targets, want_lp, want_am).ok());
  REQUIRE(vk_runner->score(tokens, 0, targets, got_lp, got_am).ok());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    CHECK(got_lp[i] == Approx(want_lp[i]).epsilon(1e-4));
    CHECK(got_am[i] == want_am[i]);
  }
  // Scoring fills the cache like eval: a decode step after it matches the cpu backend's.
  const std::int32_t next[] = {3};
  CHECK(relative_error(eval_all(*vk_runner, c.n_vocab, next, 30), eval_all(*cpu_runner, c.n_vocab, next, 30)) < k_tolerance);
  // Bad targets and lengths are errors.
  const std::int32_t bad_target[] = {static_cast<std::int32_t>(c.n_vocab)};
  double lp = 0;
  std::int32_t am = 0;
  const status s = vk_runner->score(std::span(tokens).first(1), 0, bad_target, std::span(&lp, 1), std::span(&am, 1));
  CHECK(s.code() == status_code::invalid_argument);
  CHECK_THAT(s.message(), Catch::Contains("target"));
  CHECK(vk_runner->score(tokens, 0, std::span(targets).first(3), got_lp, got_am).code() == status_code::invalid_argument);
}
