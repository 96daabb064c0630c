// wanda (compression_refs.md §2): score |W_ij| * sqrt(input_sq_mean_j) compared within each output
// row (stable sort, exactly int(n_in*s) zeros per row), N:M, the alpha variant, layouts,
// determinism and refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "pruning_fixture.h"
#include "wanda.h"

using namespace pruning_test;

namespace {

kick::methods::wanda_params parse(double sparsity, const std::string& pattern, bool use_variant = false) {
  auto p = kick::methods::parse_wanda_params(params(sparsity, pattern, use_variant));
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p.has_value());
  return *p;
}

// The score, computed here independently from the raw inputs: (1/N_seq) sum_t x_tj^2 in double.
std::vector<double> independent_scores(const layer_case& c) {
  std::vector<double> sq(static_cast<std::size_t>(c.n_in), 0.0);
  for (std::int64_t t = 0; t < c.n_seq * c.seq_len; ++t)
    for (std::int64_t j = 0; j < c.n_in; ++j) {
      const double x = c.inputs[static_cast<std::size_t>(t * c.n_in + j)];
      sq[static_cast<std::size_t>(j)] += x * x;
    }
  std::vector<double> score(c.weight.size());
  for (std::int64_t r = 0; r < c.n_out; ++r)
    for (std::int64_t j = 0; j < c.n_in; ++j) {
      const std::size_t at = static_cast<std::size_t>(r * c.n_in + j);
      score[at] = std::fabs(static_cast<double>(c.weight[at])) * std::sqrt(sq[static_cast<std::size_t>(j)] / static_cast<double>(c.n_seq));
    }
  return score;
}

}  // namespace

TEST_CASE("wanda unstructured: exactly int(n_in*s) zeros per row, the row's smallest |W|*||X_j||", "[wanda]") {
  const layer_case c = make_case(48, 160, 3, 24, 21);
  const std::vector<double> score = independent_scores(c);
  for (double s : {0.3, 0.5, 0.65}) {
    INFO("sparsity " << s);
    std::vector<float> w = c.weight;
    auto out = kick::methods::wanda_compress(as_matrix(w, c.n_out, c.n_in), c.input_sq_mean.data(), parse(s, "unstructured"));
    REQUIRE(out.has_value());
    REQUIRE(std::holds_alternative<kick::bitmap_sparse_layout>(out->layout));
    const auto k = static_cast<std::int64_t>(static_cast<double>(c.n_in) * s);
    std::int64_t order_violations = 0;
    for (std::int64_t r = 0; r < c.n_out; ++r) {
      const auto row = w.begin() + r * c.n_in;
      CHECK(std::count(row, row + c.n_in, 0.0f) == k);
      double max_pruned = 0.0, min_kept = 1e300;
      for (std::int64_t j = 0; j < c.n_in; ++j) {
        const std::size_t at = static_cast<std::size_t>(r * c.n_in + j);
        if (w[at] == 0.0f) max_pruned = std::max(max_pruned, score[at]);
        else {
          CHECK(w[at] == c.weight[at]);
          min_kept = std::min(min_kept, score[at]);
        }
      }
      // float32 statistics vs the double ones here: allow only a relative hair at the boundary.
      order_violations += max_pruned > min_kept * (1.0 + 1e-5) ? 1 : 0;
    }
    CHECK(order_violations == 0);
    CHECK(densify(out->layout, c.n_out, c.n_in) == w);
  }
}

TEST_CASE("wanda weighs by activations: a loud input keeps small weights, a dead input loses large ones", "[wanda]") {
  const layer_case c = make_case(32, 64, 2, 32, 22, {7});
  std::vector<float> w = c.weight;
  for (std::int64_t r = 0; r < c.n_out; ++r) w[static_cast<std::size_t>(r * c.n_in + 7)] = 10.0f;  // dead input
  auto out = kick::methods::wanda_compress(as_matrix(w, c.n_out, c.n_in), c.input_sq_mean.data(), parse(0.5, "unstructured"));
  REQUIRE(out.has_value());
  std::int64_t loud_kept = 0, loud_total = 0;
  for (std::int64_t r = 0; r < c.n_out; ++r) {
    CHECK(w[static_cast<std::size_t>(r * c.n_in + 7)] == 0.0f);  // score 0: first in the sort
    for (std::int64_t j = 5; j < c.n_in; j += 37) {  // the x20 outlier channels
      ++loud_total;
      loud_kept += w[static_cast<std::size_t>(r * c.n_in + j)] != 0.0f ? 1 : 0;
    }
  }
  CHECK(static_cast<double>(loud_kept) >= 0.85 * static_cast<double>(loud_total));  // |W| alone keeps about half
}

TEST_CASE("wanda ties keep the stable order: the lower column is pruned first", "[wanda]") {
  std::vector<float> w = {1, -1, 1, -1, 1, -1, 1, -1, 2, 2, 2, 2, 2, 2, 2, 2};
  const std::vector<float> sq(8, 4.0f);
  auto out = kick::methods::wanda_compress(as_matrix(w, 2, 8), sq.data(), parse(0.4, "unstructured"));  // int(8*0.4) = 3
  REQUIRE(out.has_value());
  CHECK(w == std::vector<float>{0, 0, 0, -1, 1, -1, 1, -1, 0, 0, 0, 2, 2, 2, 2, 2});
}

TEST_CASE("wanda N:M: exactly N zeros in every group of M, the group's smallest scores", "[wanda]") {
  const layer_case c = make_case(20, 96, 2, 16, 23);
  const std::vector<double> score = independent_scores(c);
  for (const char* pattern : {"1:2", "2:4", "4:8"}) {
    INFO(pattern);
    const auto p = parse(0.5, pattern);
    std::vector<float> w = c.weight;
    auto out = kick::methods::wanda_compress(as_matrix(w, c.n_out, c.n_in), c.input_sq_mean.data(), p);
    REQUIRE(out.has_value());
    REQUIRE(std::holds_alternative<kick::nm_sparse_layout>(out->layout));
    std::int64_t order_violations = 0;
    for (std::int64_t r = 0; r < c.n_out; ++r)
      for (std::int64_t g = 0; g < c.n_in; g += p.pattern.m) {
        std::int32_t zeros = 0;
        double max_pruned = 0.0, min_kept = 1e300;
        for (std::int32_t j = 0; j < p.pattern.m; ++j) {
          const std::size_t at = static_cast<std::size_t>(r * c.n_in + g + j);
          if (w[at] == 0.0f) {
            ++zeros;
            max_pruned = std::max(max_pruned, score[at]);
          } else {
            min_kept = std::min(min_kept, score[at]);
          }
        }
        CHECK(zeros == p.pattern.n);
        order_violations += max_pruned > min_kept * (1.0 + 1e-5) ? 1 : 0;
      }
    CHECK(order_violations == 0);
    CHECK(densify(out->layout, c.n_out, c.n_in) == w);
  }
}

TEST_CASE("wanda variant: one alpha per layer, rows prune a prefix of their sorted scores up to alpha*row_sum", "[wanda]") {
  const layer_case c = make_case(64, 128, 2, 32, 24);
  for (double s : {0.5, 0.3}) {
    INFO("sparsity " << s);
    std::vector<float> w = c.weight;
    kick::methods::wanda_variant_result v;
    auto out = kick::methods::wanda_compress(as_matrix(w, c.n_out, c.n_in), c.input_sq_mean.data(), parse(s, "unstructured", true), &v);
    REQUIRE(out.has_value());
    CHECK_THAT(out->notes, Catch::Contains("alpha"));
    CHECK(v.alpha > 0.0);
    CHECK(v.alpha < 0.8);
    const auto zeros = std::count(w.begin(), w.end(), 0.0f);
    const double achieved = static_cast<double>(zeros) / static_cast<double>(w.size());
    CHECK(achieved == Approx(static_cast<double>(v.achieved_sparsity)).epsilon(1e-6));
    CHECK(std::fabs(achieved - s) <= 0.001 + 1e-7);  // this layer converges well before the bracket closes

    std::int64_t min_row = c.n_in, max_row = 0;
    for (std::int64_t r = 0; r < c.n_out; ++r) {
      std::vector<float> metric(static_cast<std::size_t>(c.n_in));
      double row_sum = 0.0, pruned_sum = 0.0, max_pruned = 0.0, min_kept = 1e300;
      std::int64_t row_zeros = 0;
      for (std::int64_t j = 0; j < c.n_in; ++j) {
        const std::size_t at = static_cast<std::size_t>(r * c.n_in + j);
        const double m = std::fabs(static_cast<double>(c.weight[at])) * std::sqrt(static_cast<double>(c.input_sq_mean[static_cast<std::size_t>(j)]));
        row_sum += m;
        if (w[at] == 0.0f) {
          ++row_zeros;
          pruned_sum += m;
          max_pruned = std::max(max_pruned, m);
        } else {
          min_kept = std::min(min_kept, m);
        }
      }
      CHECK(max_pruned < min_kept);
      // cumsum of the pruned prefix <= alpha * row_sum < cumsum with the next score added.
      CHECK(pruned_sum <= v.alpha * row_sum * (1.0 + 1e-5));
      CHECK(pruned_sum + min_kept > v.alpha * row_sum * (1.0 - 1e-5));
      min_row = std::min(min_row, row_zeros);
      max_row = std::max(max_row, row_zeros);
    }
    CHECK(min_row < max_row);  // unlike plain Wanda, rows differ in their counts
    CHECK(densify(out->layout, c.n_out, c.n_in) == w);
  }
}

TEST_CASE("wanda is deterministic and leaves sparsity 0 dense", "[wanda]") {
  const layer_case c = make_case(32, 96, 2, 16, 25);
  for (bool variant : {false, true}) {
    std::vector<float> a = c.weight, b = c.weight;
    auto ra = kick::methods::wanda_compress(as_matrix(a, c.n_out, c.n_in), c.input_sq_mean.data(), parse(0.5, "unstructured", variant));
    auto rb = kick::methods::wanda_compress(as_matrix(b, c.n_out, c.n_in), c.input_sq_mean.data(), parse(0.5, "unstructured", variant));
    REQUIRE((ra.has_value() && rb.has_value()));
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    CHECK(ra->notes == rb->notes);
  }
  std::vector<float> d = c.weight;
  auto rd = kick::methods::wanda_compress(as_matrix(d, c.n_out, c.n_in), c.input_sq_mean.data(), parse(0.0, "unstructured"));
  REQUIRE(rd.has_value());
  CHECK(std::holds_alternative<kick::dense_layout>(rd->layout));
  CHECK(d == c.weight);
}

TEST_CASE("wanda refuses a missing or broken statistic and non-finite weights", "[wanda]") {
  const layer_case c = make_case(8, 16, 1, 8, 26);
  std::vector<float> w = c.weight;
  auto missing = kick::methods::wanda_compress(as_matrix(w, 8, 16), nullptr, parse(0.5, "unstructured"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == kick::status_code::failed_precondition);
  CHECK_THAT(missing.error().message(), Catch::Contains("input_sq_mean"));

  std::vector<float> sq = c.input_sq_mean;
  sq[3] = -1.0f;
  auto negative = kick::methods::wanda_compress(as_matrix(w, 8, 16), sq.data(), parse(0.5, "unstructured"));
  REQUIRE_FALSE(negative.has_value());
  CHECK_THAT(negative.error().message(), Catch::Contains("input_sq_mean") && Catch::Contains("column 3"));

  sq = c.input_sq_mean;
  sq[4] = std::nanf("");
  CHECK_FALSE(kick::methods::wanda_compress(as_matrix(w, 8, 16), sq.data(), parse(0.5, "2:4")).has_value());

  w[2] = INFINITY;
  auto inf = kick::methods::wanda_compress(as_matrix(w, 8, 16), c.input_sq_mean.data(), parse(0.5, "unstructured"));
  REQUIRE_FALSE(inf.has_value());
  CHECK_THAT(inf.error().message(), Catch::Contains("weight") && Catch::Contains("[0, 2]"));
  CHECK(w[0] == c.weight[0]);  // refused before any work
}
