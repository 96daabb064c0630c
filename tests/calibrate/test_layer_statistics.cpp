// Calibration statistics against direct double-precision sums over the same inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "core/calibrate/layer_statistics.h"

namespace {

std::vector<std::vector<float>> random_sequences(std::int64_t n_seq, std::int64_t n_tokens, std::int64_t n_cols) {
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> seqs(static_cast<std::size_t>(n_seq));
  for (auto& s : seqs) {
    s.resize(static_cast<std::size_t>(n_tokens * n_cols));
    for (float& v : s) v = normal(rng);
    for (std::int64_t t = 0; t < n_tokens; ++t) s[static_cast<std::size_t>(t * n_cols + 2)] *= 20.0f;  // an outlier channel
  }
  return seqs;
}

}  // namespace

TEST_CASE("statistics are the references' running averages over sequences", "[calibrate]") {
  const std::int64_t n_seq = 5, n_tokens = 7, n_cols = 6;
  const auto seqs = random_sequences(n_seq, n_tokens, n_cols);
  kick::statistics_request all;
  all.hessian = all.input_sq_mean = all.input_abs_mean = all.input_abs_max = all.inputs = true;
  kick::layer_statistics acc(n_cols, all);
  for (const auto& s : seqs) acc.add_sequence(s.data(), n_tokens, n_cols);
  const kick::layer_stats st = acc.view();
  REQUIRE(st.n_sequences == n_seq);
  REQUIRE(st.n_tokens == n_seq * n_tokens);
  REQUIRE(st.n_input_rows == n_seq * n_tokens);
  for (std::int64_t i = 0; i < n_cols; ++i) {
    double sq = 0.0, abs_sum = 0.0, abs_max = 0.0;
    for (const auto& s : seqs)
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        const double v = s[static_cast<std::size_t>(t * n_cols + i)];
        sq += v * v;
        abs_sum += std::fabs(v);
        abs_max = std::max(abs_max, std::fabs(v));
      }
    CHECK(st.input_sq_mean[i] == Approx(sq / n_seq).epsilon(1e-5));
    CHECK(st.input_abs_mean[i] == Approx(abs_sum / (n_seq * n_tokens)).epsilon(1e-6));
    CHECK(st.input_abs_max[i] == Approx(abs_max));
    for (std::int64_t j = 0; j < n_cols; ++j) {
      double h = 0.0;
      for (const auto& s : seqs)
        for (std::int64_t t = 0; t < n_tokens; ++t)
          h += static_cast<double>(s[static_cast<std::size_t>(t * n_cols + i)]) * s[static_cast<std::size_t>(t * n_cols + j)];
      CHECK(st.hessian[i * n_cols + j] == Approx(2.0 * h / n_seq).epsilon(1e-5).margin(1e-5));
      CHECK(st.hessian[i * n_cols + j] == st.hessian[j * n_cols + i]);
    }
  }
  // Inputs keep every token row in order.
  CHECK(st.inputs[(n_tokens + 3) * n_cols + 4] == seqs[1][static_cast<std::size_t>(3 * n_cols + 4)]);
}

TEST_CASE("only the requested statistics are collected", "[calibrate]") {
  kick::statistics_request request = kick::statistics_request::from_needs({"input_sq_mean"});
  CHECK(request.input_sq_mean);
  CHECK_FALSE(request.hessian);
  kick::layer_statistics acc(4, request);
  const std::vector<float> x(8, 1.0f);
  acc.add_sequence(x.data(), 2, 4);
  const kick::layer_stats st = acc.view();
  CHECK(st.hessian == nullptr);
  CHECK(st.inputs == nullptr);
  REQUIRE(st.input_sq_mean != nullptr);
  CHECK(st.input_sq_mean[0] == Approx(2.0));
  CHECK(acc.size_bytes() == 4 * static_cast<std::int64_t>(sizeof(float)));
}
