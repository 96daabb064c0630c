// The cpu backend's forward pass against the naive reference, and its cache behaviour.
#include <catch2/catch.hpp>

#include "backend/backend_fixture.h"
#include "backend/reference_forward.h"

namespace kick::test {
namespace {

// f32 arithmetic against a double reference, relative to the largest logit.
constexpr double k_tolerance = 2e-5;  // observed: about 1e-6

constexpr dtype k_dtypes[] = {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0};

TEST_CASE("cpu backend: prefill logits match the reference forward", "[backend][cpu]") {
  test_host host;
  const std::vector<std::string> kernel_sets = usable_kernel_sets(host);
  REQUIRE(std::find(kernel_sets.begin(), kernel_sets.end(), "generic") != kernel_sets.end());
  std::uint64_t seed = 1;
  for (const named_config& nc : tiny_configs()) {
    for (dtype type : k_dtypes) {
      const loaded_model model = make_random_model(nc.config, seed++, type);
      // 20 tokens take the sgemm path, 3 the matrix-vector path.
      for (std::int64_t n_tokens : {20, 3}) {
        const std::vector<std::int32_t> tokens = random_tokens(nc.config.n_vocab, n_tokens, seed++);
        const std::vector<double> want = reference_forward(model.view, tokens);
        for (const std::string& kernels : kernel_sets) {
          INFO(nc.name << ", " << traits(type).name << ", " << n_tokens << " tokens, kernels " << kernels);
          auto b = open_cpu_backend(host, 0, kernels);
          REQUIRE(b);
          auto runner = load_runner(**b, model.view);
          const std::vector<float> got = eval_all(*runner, nc.config.n_vocab, tokens, 0);
          CHECK(relative_error(got, want) < k_tolerance);
        }
      }
    }
  }
}

TEST_CASE("cpu backend: a wrong rope layout or a missing bias is detected", "[backend][cpu]") {
  // Guards the test above: the tolerance is tight enough to see a single wrong detail.
  test_host host;
  const named_config nc = tiny_configs()[1];  // interleaved, with biases
  const loaded_model model = make_random_model(nc.config, 7, dtype::f32);
  const std::vector<std::int32_t> tokens = random_tokens(nc.config.n_vocab, 10, 8);
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  auto runner = load_runner(**b, model.view);
  const std::vector<float> got = eval_all(*runner, nc.config.n_vocab, tokens, 0);

  model_view other_layout = model.view;
  other_layout.config.rope = rope_layout::rotate_half;
  CHECK(relative_error(got, reference_forward(other_layout, tokens)) > 100 * k_tolerance);

  model_view no_bias = model.view;
  no_bias.config.qkv_bias = false;
  CHECK(relative_error(got, reference_forward(no_bias, tokens)) > 100 * k_tolerance);
}

TEST_CASE("cpu backend: prefill equals step-by-step decode", "[backend][cpu]") {
  test_host host;
  std::uint64_t seed = 100;
  for (const named_config& nc : tiny_configs()) {
    for (dtype type : {dtype::f32, dtype::q8_0}) {
      INFO(nc.name << ", " << traits(type).name);
      const loaded_model model = make_random_model(nc.config, seed++, type);
      const std::int64_t n_vocab = nc.config.n_vocab;
      const std::vector<std::int32_t> tokens = random_tokens(n_vocab, 24, seed++);
      auto b = open_cpu_backend(host);
      REQUIRE(b);
      auto runner = load_runner(**b, model.view);
      const std::vector<float> prefill = eval_all(*runner, n_vocab, tokens, 0);
      auto stepper = load_runner(**b, model.view);
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        std::vector<float> logits(static_cast<std::size_t>(n_vocab), NAN);
        const status s = stepper->eval(std::span(tokens).subspan(i, 1), static_cast<std::int64_t>(i), logits_mode::last, logits);
        REQUIRE(s.ok());
        const std::span<const float> row(prefill.data() + i * static_cast<std::size_t>(n_vocab), static_cast<std::size_t>(n_vocab));
        CHECK(relative_error(logits, row) < k_tolerance);
      }
    }
  }
}

TEST_CASE("cpu backend: logits_mode::last returns the final position of a long prefill", "[backend][cpu]") {
  test_host host;
  const named_config nc = tiny_configs()[0];
  llama_config c = nc.config;
  c.n_ctx_train = 600;  // more than one internal chunk of 256 tokens
  const loaded_model model = make_random_model(c, 11, dtype::f16);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 530, 12);
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  auto all_runner = load_runner(**b, model.view);
  const std::vector<float> all = eval_all(*all_runner, c.n_vocab, tokens, 0);
  auto last_runner = load_runner(**b, model.view);
  std::vector<float> last(static_cast<std::size_t>(c.n_vocab), NAN);
  REQUIRE(last_runner->eval(tokens, 0, logits_mode::last, last).ok());
  const std::span<const float> final_row(all.data() + all.size() - last.size(), last.size());
  CHECK(relative_error(last, final_row) < k_tolerance);
  // The last rows of the chunked prefill still agree with the reference.
  const std::vector<std::int32_t> head(tokens.begin(), tokens.begin() + 40);
  const std::vector<double> want = reference_forward(model.view, head);
  CHECK(relative_error(std::span(all).first(want.size()), want) < k_tolerance);
}

TEST_CASE("cpu backend: rewinding n_past reproduces the logits", "[backend][cpu]") {
  test_host host;
  const named_config nc = tiny_configs()[2];
  const std::int64_t n_vocab = nc.config.n_vocab;
  const loaded_model model = make_random_model(nc.config, 21, dtype::bf16);
  const std::vector<std::int32_t> prefix = random_tokens(n_vocab, 9, 22);
  const std::vector<std::int32_t> tail = random_tokens(n_vocab, 12, 23);
  const std::vector<std::int32_t> other = random_tokens(n_vocab, 15, 24);
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  auto runner = load_runner(**b, model.view);
  eval_all(*runner, n_vocab, prefix, 0);
  const std::vector<float> first = eval_all(*runner, n_vocab, tail, 9);
  // Overwrite positions 9.. with other tokens, then rewind and evaluate the tail again.
  eval_all(*runner, n_vocab, other, 9);
  const std::vector<float> again = eval_all(*runner, n_vocab, tail, 9);
  CHECK(again == first);
  // Rewind into the prefix: positions 4.. are recomputed from the first four.
  std::vector<std::int32_t> whole = prefix;
  whole.insert(whole.end(), tail.begin(), tail.end());
  const std::vector<float> from4 = eval_all(*runner, n_vocab, std::span(whole).subspan(4), 4);
  const std::vector<double> want = reference_forward(model.view, whole);
  CHECK(relative_error(from4, std::span(want).subspan(4 * static_cast<std::size_t>(n_vocab))) < k_tolerance);
}

TEST_CASE("cpu backend: thread counts give the same logits", "[backend][cpu]") {
  test_host host;
  const named_config nc = tiny_configs()[0];
  const loaded_model model = make_random_model(nc.config, 31, dtype::q8_0);
  const std::vector<std::int32_t> tokens = random_tokens(nc.config.n_vocab, 16, 32);
  std::vector<std::vector<float>> results;
  for (std::int64_t threads : {1, 2, 3, 5}) {
    auto b = open_cpu_backend(host, threads);
    REQUIRE(b);
    CHECK((*b)->describe().find(std::to_string(threads) + (threads == 1 ? " thread," : " threads,")) != std::string::npos);
    auto runner = load_runner(**b, model.view);
    results.push_back(eval_all(*runner, nc.config.n_vocab, tokens, 0));
  }
  for (std::size_t i = 1; i < results.size(); ++i) CHECK(relative_error(results[i], results[0]) < k_tolerance);
}

TEST_CASE("cpu backend: interleaved rope on permuted Q/K rows equals rotate_half", "[backend][cpu]") {
  test_host host;
  auto b = open_cpu_backend(host);
  REQUIRE(b);
  std::uint64_t seed = 300;
  for (const named_config& nc : tiny_configs()) {
    llama_config c = nc.config;
    c.rope = rope_layout::rotate_half;
    for (dtype type : {dtype::f32, dtype::q8_0}) {
      INFO(nc.name << ", " << traits(type).name);
      const loaded_model hf = make_random_model(c, seed++, type);
      const derived_model gguf = permute_to_interleaved(hf.view);
      const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 12, seed++);
      auto hf_runner = load_runner(**b, hf.view);
      auto gguf_runner = load_runner(**b, gguf.view);
      const std::vector<float> hf_logits = eval_all(*hf_runner, c.n_vocab, tokens, 0);
      const std::vector<float> gguf_logits = eval_all(*gguf_runner, c.n_vocab, tokens, 0);
      CHECK(relative_error(gguf_logits, hf_logits) < k_tolerance);
      // Without the permutation the interleaved model computes something else.
      model_view unpermuted = hf.view;
      unpermuted.config.rope = rope_layout::interleaved;
      auto wrong_runner = load_runner(**b, unpermuted);
      CHECK(relative_error(eval_all(*wrong_runner, c.n_vocab, tokens, 0), hf_logits) > 100 * k_tolerance);
    }
  }
}

TEST_CASE("cpu backend: f16 sparse values stay within f16 rounding of the exact f32 values", "[backend][cpu]") {
  test_host host;
  llama_config c = tiny_configs().front().config;
  c.n_embd = 128, c.n_ff = 256, c.head_dim = 32;
  const compressed_model model = compress_all(c, 21);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 9, 4);
  auto exact = open_cpu_backend(host, 0, {}, "f32");
  auto halved = open_cpu_backend(host, 0, {}, "f16");
  REQUIRE(exact);
  REQUIRE(halved);
  const std::vector<float> want = eval_all(*load_runner(**exact, model.base.view), c.n_vocab, tokens, 0);
  const std::vector<float> got = eval_all(*load_runner(**halved, model.base.view), c.n_vocab, tokens, 0);
  const double error = relative_error(got, want);
  CHECK(error < 1e-2);  // f16 rounding of the sparse layers' values (relative 2^-11 each)
  CHECK(error > 0.0);   // and the option does take effect
  auto bad = open_cpu_backend(host, 0, {}, "f8");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("compressed_values"));
}

}  // namespace
TEST_CASE("cpu backend: int8 activations change decode within quantization error and leave prefill exact", "[backend][cpu]") {
  test_host host;
  llama_config c = tiny_configs().front().config;
  c.n_embd = 128, c.n_ff = 256, c.head_dim = 32;
  const compressed_model model = compress_all(c, 23);
  const std::vector<std::int32_t> tokens = random_tokens(c.n_vocab, 9, 6);
  auto exact = open_cpu_backend(host, 0, {}, "f32", "f32");
  auto int8 = open_cpu_backend(host, 0, {}, "f32", "int8");
  REQUIRE(exact);
  REQUIRE(int8);
  auto exact_runner = load_runner(**exact, model.base.view);
  auto int8_runner = load_runner(**int8, model.base.view);
  // Decode, one token at a time: the group-quantized layers read int8 activations.
  std::vector<float> want, got;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto one = std::span(tokens).subspan(i, 1);
    const std::vector<float> w = eval_all(*exact_runner, c.n_vocab, one, static_cast<std::int64_t>(i));
    const std::vector<float> g = eval_all(*int8_runner, c.n_vocab, one, static_cast<std::int64_t>(i));
    want.insert(want.end(), w.begin(), w.end());
    got.insert(got.end(), g.begin(), g.end());
  }
  const double error = relative_error(got, want);
  CHECK(error < 5e-2);  // activations rounded to 1/254 of each 32 columns' largest |x|
  CHECK(error > 0.0);   // the option takes effect
  // Prefill of 9 tokens multiplies in f32 whatever the option says.
  const std::vector<float> exact_prefill = eval_all(*exact_runner, c.n_vocab, tokens, 0);
  CHECK(eval_all(*int8_runner, c.n_vocab, tokens, 0) == exact_prefill);
  auto bad = open_cpu_backend(host, 0, {}, "f32", "int4");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("activations"));
}

}  // namespace kick::test
