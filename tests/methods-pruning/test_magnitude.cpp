// magnitude (compression_refs.md §3): one |W| threshold per matrix with <=, N:M per row by groups
// of M consecutive input columns, the encoded layouts, determinism and refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "magnitude.h"
#include "pruning_fixture.h"

using namespace pruning_test;

namespace {

kick::methods::magnitude_params parse(double sparsity, const std::string& pattern) {
  auto p = kick::methods::parse_magnitude_params(params(sparsity, pattern));
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p.has_value());
  return *p;
}

std::int64_t count_zeros(const std::vector<float>& w) {
  return std::count(w.begin(), w.end(), 0.0f);
}

}  // namespace

TEST_CASE("magnitude unstructured: int(numel*s)+1 zeros, every pruned |w| below every kept |w|", "[magnitude]") {
  const layer_case c = make_case(96, 128, 1, 1, 11);
  for (double s : {0.3, 0.5, 0.7}) {
    INFO("sparsity " << s);
    std::vector<float> w = c.weight;
    auto out = kick::methods::magnitude_compress(as_matrix(w, c.n_out, c.n_in), parse(s, "unstructured"));
    REQUIRE(out.has_value());
    REQUIRE(std::holds_alternative<kick::bitmap_sparse_layout>(out->layout));
    const auto k = static_cast<std::int64_t>(static_cast<double>(w.size()) * s);
    CHECK(count_zeros(w) == k + 1);  // random weights: no ties at the threshold
    float max_pruned = 0.0f, min_kept = 1e30f;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i] == 0.0f) max_pruned = std::max(max_pruned, std::fabs(c.weight[i]));
      else {
        CHECK(w[i] == c.weight[i]);
        min_kept = std::min(min_kept, std::fabs(c.weight[i]));
      }
    }
    CHECK(max_pruned < min_kept);
    CHECK(densify(out->layout, c.n_out, c.n_in) == w);
  }
}

TEST_CASE("magnitude unstructured compares the whole matrix and prunes every tie of the threshold", "[magnitude]") {
  // Rows 0-1 hold |w| = 1 only, rows 2-3 |w| = 2: s = 0.25 puts the threshold (sorted[4]) at 1,
  // so all 8 entries of magnitude 1 go (<= prunes ties), rows 2-3 keep everything.
  std::vector<float> w = {1, -1, 1, -1, -1, 1, -1, 1, 2, -2, 2, 2, -2, 2, -2, -2};
  auto out = kick::methods::magnitude_compress(as_matrix(w, 4, 4), parse(0.25, "unstructured"));
  REQUIRE(out.has_value());
  for (int i = 0; i < 8; ++i) CHECK(w[static_cast<std::size_t>(i)] == 0.0f);
  for (int i = 8; i < 16; ++i) CHECK(std::fabs(w[static_cast<std::size_t>(i)]) == 2.0f);

  // A loud row (every |w| >= 1, the others ~0.05) keeps all its weights at 50 %: no per-row quota.
  layer_case c = make_case(16, 64, 1, 1, 12);
  for (std::int64_t i = 0; i < c.n_in; ++i) {
    float& x = c.weight[static_cast<std::size_t>(i)];
    x = std::copysign(1.0f + std::fabs(x), x);
  }
  std::vector<float> v = c.weight;
  REQUIRE(kick::methods::magnitude_compress(as_matrix(v, c.n_out, c.n_in), parse(0.5, "unstructured")).has_value());
  CHECK(std::count(v.begin(), v.begin() + c.n_in, 0.0f) == 0);
}

TEST_CASE("magnitude N:M: exactly N zeros in every group of M, the N smallest |w|", "[magnitude]") {
  const layer_case c = make_case(24, 64, 1, 1, 13);
  for (const char* pattern : {"1:2", "2:4", "4:8"}) {
    INFO(pattern);
    const auto p = parse(0.1, pattern);  // sparsity is ignored by N:M patterns
    std::vector<float> w = c.weight;
    auto out = kick::methods::magnitude_compress(as_matrix(w, c.n_out, c.n_in), p);
    REQUIRE(out.has_value());
    REQUIRE(std::holds_alternative<kick::nm_sparse_layout>(out->layout));
    const auto& nm = std::get<kick::nm_sparse_layout>(out->layout);
    CHECK(nm.m == p.pattern.m);
    CHECK(nm.n == p.pattern.m - p.pattern.n);
    for (std::int64_t r = 0; r < c.n_out; ++r)
      for (std::int64_t g = 0; g < c.n_in; g += p.pattern.m) {
        std::int32_t zeros = 0;
        float max_pruned = 0.0f, min_kept = 1e30f;
        for (std::int32_t j = 0; j < p.pattern.m; ++j) {
          const std::size_t at = static_cast<std::size_t>(r * c.n_in + g + j);
          if (w[at] == 0.0f) {
            ++zeros;
            max_pruned = std::max(max_pruned, std::fabs(c.weight[at]));
          } else {
            min_kept = std::min(min_kept, std::fabs(c.weight[at]));
          }
        }
        CHECK(zeros == p.pattern.n);
        CHECK(max_pruned <= min_kept);
      }
    CHECK(densify(out->layout, c.n_out, c.n_in) == w);
  }
}

TEST_CASE("magnitude N:M ties prune the lower column first", "[magnitude]") {
  std::vector<float> w = {3, -3, 3, 3, 1, 1, -1, 1};
  auto out = kick::methods::magnitude_compress(as_matrix(w, 1, 8), parse(0.5, "2:4"));
  REQUIRE(out.has_value());
  CHECK(w == std::vector<float>{0, 0, 3, 3, 0, 0, -1, 1});
}

TEST_CASE("magnitude is deterministic and leaves sparsity 0 dense", "[magnitude]") {
  const layer_case c = make_case(32, 96, 1, 1, 14);
  std::vector<float> a = c.weight, b = c.weight;
  auto ra = kick::methods::magnitude_compress(as_matrix(a, c.n_out, c.n_in), parse(0.6, "unstructured"));
  auto rb = kick::methods::magnitude_compress(as_matrix(b, c.n_out, c.n_in), parse(0.6, "unstructured"));
  REQUIRE((ra.has_value() && rb.has_value()));
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  CHECK(ra->notes == rb->notes);

  std::vector<float> d = c.weight;
  auto rd = kick::methods::magnitude_compress(as_matrix(d, c.n_out, c.n_in), parse(0.0, "unstructured"));
  REQUIRE(rd.has_value());
  CHECK(std::holds_alternative<kick::dense_layout>(rd->layout));
  CHECK(d == c.weight);
}

TEST_CASE("magnitude refuses non-finite weights and an input size that is not a multiple of M", "[magnitude]") {
  std::vector<float> w(4 * 8, 0.5f);
  w[13] = std::nanf("");
  auto bad = kick::methods::magnitude_compress(as_matrix(w, 4, 8), parse(0.5, "unstructured"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == kick::status_code::failed_precondition);
  CHECK_THAT(bad.error().message(), Catch::Contains("weight") && Catch::Contains("[1, 5]"));

  std::vector<float> v(2 * 6, 0.5f);
  auto odd = kick::methods::magnitude_compress(as_matrix(v, 2, 6), parse(0.5, "4:8"));
  REQUIRE_FALSE(odd.has_value());
  CHECK_THAT(odd.error().message(), Catch::Contains("6 input columns") && Catch::Contains("M = 8"));
}
