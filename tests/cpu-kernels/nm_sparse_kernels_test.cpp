// The N:M sparse kernels (linear_nm*.cpp) on every instruction set this machine runs, with f32
// and f16 values: 1:2, 2:4, 4:8 and 8:16 over shapes with 1 row, prime row counts, columns that
// are not a multiple of the 32-column block (and fewer than one block), groups with fewer than n
// non-zeros and all-zero rows. Tolerance: see sparse_kernel_check.h.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/bench/synthetic_weights.h"
#include "sparse_kernel_check.h"
#include "support/layout_support.h"

using namespace kick;
using namespace kick::cpu;
using kick::test::pruned_nm;

namespace {

// Every kernel set with the layout's values stored as f32, f16 and bf16, each read as stored, as
// f32 and as f16.
void check_all_kernels(const compressed_weight& w, int n, int m) {
  const std::string pattern = "nm " + std::to_string(n) + ":" + std::to_string(m) + " ";
  for (const kernel_set* kernels : sparse_testing::testable_kernel_sets()) {
    for (const sparse_testing::values_case& v : sparse_testing::all_values_cases()) {
      const compressed_weight stored = sparse_testing::with_values(w, v.stored);
      INFO(pattern << w.n_rows << "x" << w.n_cols << " on " << kernels->isa << ", " << v.name() << " from " << value_type_name(v.stored));
      auto lin = make_nm_linear(stored, *kernels, v.option);
      REQUIRE(lin != nullptr);
      sparse_testing::check_sparse_layer(*lin, stored, v.f16(), pattern + kernels->isa + " (" + v.name());
    }
  }
}

}  // namespace

TEST_CASE("cpu kernels: N:M sparse layers on every instruction set match a double product", "[cpu-kernels][nm]") {
  for (auto [n, m] : {std::pair{1, 2}, {2, 4}, {4, 8}}) {
    const std::string format = std::to_string(n) + ":" + std::to_string(m);
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, 64}, {1, 8}, {7, 40}, {13, 264}, {37, 8 * 67}, {3, 1024}}) {
      INFO(format << " " << rows << "x" << cols);
      auto w = make_synthetic_weight(format, rows, cols, 3);
      REQUIRE(w);
      check_all_kernels(*w->compressed, n, m);
    }
    for (std::int64_t cols : {std::int64_t{m}, 3 * std::int64_t{m}, 32 + std::int64_t{m}, 96 + 5 * std::int64_t{m}}) {
      INFO(format << " 5x" << cols << " with zero rows and partial groups");
      check_all_kernels(pruned_nm(5, cols, n, m, 7), n, m);
    }
  }
  INFO("8:16");
  check_all_kernels(pruned_nm(11, 16 * 13, 8, 16, 9), 8, 16);
}

TEST_CASE("cpu kernels: N:M layers are native for 2n = m <= 16 and generic otherwise", "[cpu-kernels][nm]") {
  const kernel_set& best = best_kernels();
  auto two_four = make_synthetic_weight("2:4", 16, 128, 1);
  REQUIRE(two_four);
  auto native = make_compressed_linear(*two_four->compressed, best);
  REQUIRE(native);
  const std::string pairs = best.isa == std::string("avx512f") ? ", row pairs for 2-7 tokens)" : ")";
  CHECK((*native)->kernel_name() == std::string("nm 2:4 ") + best.isa + " (f32 values in place, 2-bit indices in place" + pairs);
  // Values and indices are read from the layout in place: bytes = values + 2-bit indices.
  CHECK((*native)->bytes() == 16 * 64 * 4 + 16 * 4 * 4);
  auto half = make_nm_linear(*two_four->compressed, best, sparse_value_type::f16);
  REQUIRE(half != nullptr);
  CHECK(half->bytes() == 16 * 64 * 2 + 16 * 4 * 4);  // 9 bits per weight: f16 dense needs 16
  CHECK(half->kernel_name().find("f16 values converted") != std::string::npos);
  // A layout of an f16 model: its own f16 values, nothing converted.
  const compressed_weight f16_layout = sparse_testing::with_values(*two_four->compressed, value_type::f16);
  auto stored = make_nm_linear(f16_layout, best);
  REQUIRE(stored != nullptr);
  CHECK(stored->kernel_name() == std::string("nm 2:4 ") + best.isa + " (f16 values in place, 2-bit indices in place" + pairs);
  // 4:8 indices (4 bits each in the layout) are repacked into the kernels' lane order.
  auto four_eight = make_synthetic_weight("4:8", 16, 128, 1);
  REQUIRE(four_eight);
  auto repacked = make_nm_linear(*four_eight->compressed, best);
  REQUIRE(repacked != nullptr);
  CHECK(repacked->kernel_name().find("4-bit indices repacked") != std::string::npos);

  for (auto [n, m] : {std::pair{1, 4}, {3, 4}, {16, 32}}) {
    INFO(n << ":" << m);
    std::vector<float> dense(static_cast<std::size_t>(4 * 64), 0.5f);
    auto layout = encode_nm(matrix_f32{dense.data(), 4, 64, 64}, n, m);
    // The pattern does not hold for a dense matrix: build the layout from the first n of each group.
    if (!layout) {
      for (std::size_t i = 0; i < dense.size(); ++i) dense[i] = static_cast<int>(i % static_cast<std::size_t>(m)) < n ? 0.5f : 0.0f;
      layout = encode_nm(matrix_f32{dense.data(), 4, 64, 64}, n, m);
    }
    REQUIRE(layout);
    const compressed_weight w{4, 64, std::move(*layout)};
    CHECK(make_nm_linear(w, best) == nullptr);
    auto fallback = make_compressed_linear(w, best);
    REQUIRE(fallback);
    CHECK((*fallback)->kernel_name().find("decode + dot") != std::string::npos);
  }
}
