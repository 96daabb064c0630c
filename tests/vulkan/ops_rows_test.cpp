// Conformance of the row reductions: RMS norm against a double-precision reference, and the
// log-probability/argmax of logits against the host's kick::log_softmax_at and kick::argmax_of
// (kick/backend.h: float max, double sum; the lowest index on ties).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kick/backend.h"
#include "ops.h"
#include "ops_test_support.h"

using namespace kick;

TEST_CASE("vulkan ops: rms_norm matches a double reference to 1e-5 relative", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  struct shape {
    std::uint32_t n_tokens, n;
    float eps;
  };
  for (const shape s : {shape{1, 1, 1e-5f}, shape{1, 7, 1e-6f}, shape{3, 1000, 1e-5f}, shape{5, 4099, 1e-6f}, shape{2, 256, 1e-5f}}) {
    INFO("n_tokens = " << s.n_tokens << ", n = " << s.n);
    const auto x = test::random_floats(std::size_t{s.n_tokens} * s.n, 7, -3.0f, 3.0f);
    const auto w = test::random_floats(s.n, 8, 0.5f, 1.5f);
    auto bx = h.buffer(x, "x");
    auto bw = h.buffer(w, "weight");
    auto bo = h.buffer(std::vector<float>(x.size()), "out");
    REQUIRE(vk::record_rms_norm(h.begin(), bx, bw, bo, s.n_tokens, s.n, s.eps).ok());
    h.run();
    const auto out = h.read(bo, x.size());
    for (std::uint32_t t = 0; t < s.n_tokens; ++t) {
      double sum_sq = 0.0;
      for (std::uint32_t i = 0; i < s.n; ++i) sum_sq += double{x[t * s.n + i]} * x[t * s.n + i];
      const double inv_rms = 1.0 / std::sqrt(sum_sq / s.n + s.eps);
      for (std::uint32_t i = 0; i < s.n; ++i) {
        const double expected = x[t * s.n + i] * inv_rms * w[i];
        REQUIRE(std::abs(out[t * s.n + i] - expected) <= 1e-5 * std::abs(expected) + 1e-7);
      }
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: logprob matches log_softmax to 2e-5 and argmax takes the lowest index", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  struct shape {
    std::uint32_t n_tokens, n_vocab;
  };
  for (const shape s : {shape{1, 1}, shape{3, 7}, shape{5, 1000}, shape{2, 32003}}) {
    INFO("n_tokens = " << s.n_tokens << ", n_vocab = " << s.n_vocab);
    auto logits = test::random_floats(std::size_t{s.n_tokens} * s.n_vocab, 9, -12.0f, 12.0f);
    std::vector<std::uint32_t> targets(s.n_tokens);
    for (std::uint32_t t = 0; t < s.n_tokens; ++t) targets[t] = (t * 7919u + 3u) % s.n_vocab;
    if (s.n_vocab >= 7) {
      // Token 1: a tie for the maximum at three indices held by different invocations.
      float* row = logits.data() + std::size_t{1} * s.n_vocab;
      row[s.n_vocab - 1] = 50.0f;
      row[3] = 50.0f;
      row[s.n_vocab / 2] = 50.0f;
      targets[1] = 3;
      if (s.n_tokens > 2) targets[2] = s.n_vocab;  // out of range: NaN
    }
    auto bl = h.buffer(logits, "logits");
    auto bt = h.buffer(targets, "targets");
    auto bp = h.buffer(std::vector<float>(s.n_tokens), "logprob");
    auto ba = h.buffer(std::vector<std::uint32_t>(s.n_tokens), "argmax");
    REQUIRE(vk::record_logprob(h.begin(), bl, bt, bp, ba, s.n_tokens, s.n_vocab).ok());
    h.run();
    const auto lp = h.read(bp, s.n_tokens);
    const auto am = h.read<std::uint32_t>(ba, s.n_tokens);
    for (std::uint32_t t = 0; t < s.n_tokens; ++t) {
      INFO("token " << t);
      const float* row = logits.data() + std::size_t{t} * s.n_vocab;
      CHECK(am[t] == kick::argmax_of(row, s.n_vocab));
      if (targets[t] >= s.n_vocab) {
        CHECK(std::isnan(lp[t]));
      } else {
        const double expected = kick::log_softmax_at(row, s.n_vocab, targets[t]);
        CHECK(std::abs(lp[t] - expected) <= 2e-5 + 1e-6 * std::abs(expected));
      }
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
