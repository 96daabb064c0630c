// Conformance of causal grouped-query attention against a double-precision softmax: GQA, a chunk
// after a prefix (pos0 > 0), head_dim 8..256 and one not a multiple of 4, and more than 8192
// cached positions. Cache positions after a token's own hold garbage that must not be attended to.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "ops.h"
#include "ops_test_support.h"

using namespace kick;

namespace {

struct attention_shape {
  std::uint32_t n_tokens, pos0, n_heads, n_kv_heads, head_dim, n_ctx;
  float q_scale;  // larger queries give peaked softmaxes whose maximum moves between key blocks
};

std::vector<double> reference_attention(const attention_shape& s, const std::vector<float>& q, const std::vector<float>& k,
                                        const std::vector<float>& v) {
  const std::size_t hd = s.head_dim;
  const std::uint32_t group = s.n_heads / s.n_kv_heads;
  const double scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.head_dim)));
  std::vector<double> out(std::size_t{s.n_tokens} * s.n_heads * hd, 0.0);
  std::vector<double> scores;
  for (std::uint32_t t = 0; t < s.n_tokens; ++t) {
    const std::uint32_t n_keys = s.pos0 + t + 1;
    for (std::uint32_t h = 0; h < s.n_heads; ++h) {
      const float* qh = q.data() + (std::size_t{t} * s.n_heads + h) * hd;
      const std::size_t cache = std::size_t{h / group} * s.n_ctx * hd;
      scores.assign(n_keys, 0.0);
      double max_score = -INFINITY;
      for (std::uint32_t j = 0; j < n_keys; ++j) {
        double dot = 0.0;
        for (std::size_t i = 0; i < hd; ++i) dot += double{qh[i]} * k[cache + j * hd + i];
        scores[j] = dot * scale;
        max_score = std::max(max_score, scores[j]);
      }
      double sum = 0.0;
      for (double& x : scores) sum += x = std::exp(x - max_score);
      double* o = out.data() + (std::size_t{t} * s.n_heads + h) * hd;
      for (std::uint32_t j = 0; j < n_keys; ++j) {
        for (std::size_t i = 0; i < hd; ++i) o[i] += scores[j] / sum * v[cache + j * hd + i];
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("vulkan ops: attention matches a double softmax to 2e-5", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  for (const attention_shape s : {
           attention_shape{1, 0, 1, 1, 8, 1, 1.0f},        // one key
           attention_shape{4, 300, 6, 3, 10, 304, 2.0f},   // head_dim not a multiple of 4 (the scalar path)
           attention_shape{5, 0, 6, 2, 48, 8, 1.0f},       // GQA prefill from position 0
           attention_shape{3, 37, 6, 2, 64, 64, 4.0f},     // a chunk after a prefix, blocks of keys partly filled
           attention_shape{2, 100, 4, 4, 128, 130, 3.0f},  // head_dim 128, no grouping
           attention_shape{1, 250, 3, 1, 256, 251, 2.0f},  // the largest head_dim
           attention_shape{3, 9000, 6, 2, 8, 9010, 6.0f},  // more than 8192 keys
       }) {
    INFO("n_tokens " << s.n_tokens << ", pos0 " << s.pos0 << ", heads " << s.n_heads << "/" << s.n_kv_heads << ", head_dim "
                     << s.head_dim << ", n_ctx " << s.n_ctx);
    const std::size_t rows = std::size_t{s.n_tokens} * s.n_heads * s.head_dim;
    const std::size_t cache = std::size_t{s.n_kv_heads} * s.n_ctx * s.head_dim;
    const auto q = test::random_floats(rows, 21, -s.q_scale, s.q_scale);
    const auto k = test::random_floats(cache, 22);
    const auto v = test::random_floats(cache, 23);
    auto bq = h.buffer(q, "q");
    auto bk = h.buffer(k, "cache_k");
    auto bv = h.buffer(v, "cache_v");
    auto bo = h.buffer(std::vector<float>(rows), "out");
    REQUIRE(vk::record_attention(h.begin(), bq, bk, bv, bo, s.n_tokens, s.pos0, s.n_heads, s.n_kv_heads, s.head_dim, s.n_ctx)
                .ok());
    h.run();
    const auto out = h.read(bo, rows);
    const auto expected = reference_attention(s, q, k, v);
    double worst = 0.0;
    for (std::size_t i = 0; i < rows; ++i) worst = std::max(worst, std::abs(out[i] - expected[i]) / (1.0 + std::abs(expected[i])));
    INFO("largest error " << worst);
    CHECK(worst <= 2e-5);
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: attention rejects bad head groupings and positions beyond the cache", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  auto b = h.buffer(std::vector<float>(4096), "buffer");
  auto& ctx = h.begin();
  const status groups = vk::record_attention(ctx, b, b, b, b, 1, 0, 6, 4, 8, 8);
  CHECK(groups.code() == status_code::invalid_argument);
  CHECK_THAT(groups.message(), Catch::Contains("attention") && Catch::Contains("6 heads"));
  const status beyond = vk::record_attention(ctx, b, b, b, b, 2, 7, 2, 1, 8, 8);
  CHECK(beyond.code() == status_code::out_of_range);
  const status wide = vk::record_attention(ctx, b, b, b, b, 1, 0, 1, 1, 512, 1);
  CHECK_THAT(wide.message(), Catch::Contains("head_dim 512"));
  h.run();
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

// Not run by default (`test_vulkan "[.timing]"`): wall time of attention at Llama-3.2-1B shapes.
TEST_CASE("vulkan ops: attention timing at Llama-3.2-1B shapes", "[.timing]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  const std::uint32_t n_heads = 32, n_kv_heads = 8, head_dim = 64, n_ctx = 4096;
  const std::size_t cache = std::size_t{n_kv_heads} * n_ctx * head_dim;
  auto bk = h.buffer(test::random_floats(cache, 31), "cache_k");
  auto bv = h.buffer(test::random_floats(cache, 32), "cache_v");
  struct run_shape {
    std::uint32_t n_tokens, pos0;
  };
  for (const run_shape r : {run_shape{512, 0}, run_shape{1, 511}, run_shape{1, 4095}}) {
    const std::size_t rows = std::size_t{r.n_tokens} * n_heads * head_dim;
    auto bq = h.buffer(test::random_floats(rows, 33), "q");
    auto bo = h.buffer(std::vector<float>(rows), "out");
    for (int rep = 0; rep < 3; ++rep) {  // the first includes the pipeline's compilation
      const auto start = std::chrono::steady_clock::now();
      REQUIRE(vk::record_attention(h.begin(), bq, bk, bv, bo, r.n_tokens, r.pos0, n_heads, n_kv_heads, head_dim, n_ctx).ok());
      h.run();
      const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
      WARN("attention " << r.n_tokens << " tokens after " << r.pos0 << ": " << ms.count() << " ms");
    }
  }
}
