// The bitmap (unstructured) sparse kernels (linear_bitmap*.cpp) on every instruction set this
// machine runs (AVX-512 also without BITALG), with f32 and f16 values: 50%, 70% and 90% sparsity
// over shapes with 1 row, prime row and column counts (not multiples of 8, 16 or 64), plus
// all-zero rows, dense rows and non-zeros only in the last columns. Tolerance: see
// sparse_kernel_check.h.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "core/bench/synthetic_weights.h"
#include "sparse_kernel_check.h"

using namespace kick;
using namespace kick::cpu;

namespace {

// Every kernel set with the layout's values stored as f32, f16 and bf16, each read as stored, as
// f32 and as f16.
void check_all_kernels(const compressed_weight& w) {
  for (const sparse_testing::values_case& v : sparse_testing::all_values_cases()) {
    const compressed_weight stored = sparse_testing::with_values(w, v.stored);
    for (const kernel_set* kernels : sparse_testing::testable_kernel_sets()) {
      INFO(w.n_rows << "x" << w.n_cols << " on " << kernels->isa << ", " << v.name() << " from " << value_type_name(v.stored));
      auto lin = make_bitmap_linear(stored, *kernels, v.option);
      REQUIRE(lin != nullptr);
      sparse_testing::check_sparse_layer(*lin, stored, v.f16(), std::string("bitmap ") + kernels->isa + " (" + v.name() + ")");
    }
    // The AVX-512 kernels of CPUs without AVX512_BW/VL/BITALG, where this one has them too.
    auto lin = make_bitmap_linear_vpopcntdq(stored, v.option);
    if (lin == nullptr) continue;
    INFO(w.n_rows << "x" << w.n_cols << " on avx512f without bitalg, " << v.name() << " from " << value_type_name(v.stored));
    sparse_testing::check_sparse_layer(*lin, stored, v.f16(), std::string("bitmap avx512f (") + v.name() + ")");
  }
}

// Row 0 all zero, row 1 dense, row 2 non-zero only in its last 3 columns, the rest random with
// about half the entries zero; the last row is dense, so the values end with a full row.
compressed_weight mixed_rows(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::bernoulli_distribution keep(0.5);
  std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.0f);
  for (std::int64_t r = 1; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const bool nonzero = r == 1 || r == rows - 1 || (r == 2 ? c >= cols - 3 : keep(rng));
      if (nonzero) w[static_cast<std::size_t>(r * cols + c)] = normal(rng);
    }
  }
  return compressed_weight{rows, cols, encode_bitmap(matrix_f32{w.data(), rows, cols, cols})};
}

}  // namespace

TEST_CASE("cpu kernels: bitmap sparse layers on every instruction set match a double product", "[cpu-kernels][bitmap]") {
  for (const char* format : {"unstructured-50", "unstructured-70", "unstructured-90"}) {
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, 64}, {1, 5}, {7, 136}, {13, 263}, {37, 521}, {3, 1024}}) {
      INFO(format << " " << rows << "x" << cols);
      auto w = make_synthetic_weight(format, rows, cols, 3);
      REQUIRE(w);
      check_all_kernels(*w->compressed);
    }
  }
  for (std::int64_t cols : {3, 8, 17, 64, 131}) {
    INFO("mixed rows 6x" << cols);
    check_all_kernels(mixed_rows(6, cols, 5));
  }
}

TEST_CASE("cpu kernels: bitmap layers run natively and count the bytes they read", "[cpu-kernels][bitmap]") {
  const kernel_set& best = best_kernels();
  auto w = make_synthetic_weight("unstructured-50", 16, 128, 1);
  REQUIRE(w);
  const auto& layout = std::get<bitmap_sparse_layout>(w->compressed->layout);
  auto native = make_compressed_linear(*w->compressed, best);
  REQUIRE(native);
  CHECK((*native)->kernel_name() == std::string("bitmap ") + best.isa + " (f32 values in place)");
  const auto index_bytes = static_cast<std::int64_t>(layout.bitmap.size() * 8 + layout.row_offsets.size() * 8);
  CHECK((*native)->bytes() == index_bytes + static_cast<std::int64_t>(layout.values.size()) * 4);
  auto half = make_bitmap_linear(*w->compressed, best, sparse_value_type::f16);
  CHECK(half->bytes() == index_bytes + static_cast<std::int64_t>(layout.values.size()) * 2);
  CHECK(half->kernel_name() == std::string("bitmap ") + best.isa + " (f16 values converted)");
  const compressed_weight f16_layout = sparse_testing::with_values(*w->compressed, value_type::f16);
  auto stored = make_bitmap_linear(f16_layout, best);
  CHECK(stored->kernel_name() == std::string("bitmap ") + best.isa + " (f16 values in place)");
}
