// Conformance of linear layers with N:M (1:2, 2:4, 4:8) and bitmap (unstructured) sparse
// weights against a double-accumulating reference over kick::densify. Tolerance:
// |y - ref| <= 1e-5 * sum_c |W[r][c] x[t][c]| + 1e-6 with f32 values, 1e-3 * ... with f16 values.
#include <random>
#include <vector>

#include "kick/format_codec.h"
#include "linear_test_support.h"

using namespace kick;

namespace {

// A random [rows, cols] matrix with at most n non-zeros in every m consecutive columns.
std::vector<float> nm_matrix(std::int64_t rows, std::int64_t cols, int n, int m, std::uint32_t seed) {
  std::vector<float> w = test::random_values(static_cast<std::size_t>(rows * cols), seed);
  std::mt19937 rng(seed + 1);
  for (std::int64_t g = 0; g < rows * cols / m; ++g) {
    std::vector<int> order(static_cast<std::size_t>(m));
    for (int k = 0; k < m; ++k) order[static_cast<std::size_t>(k)] = k;
    std::shuffle(order.begin(), order.end(), rng);
    for (int k = n; k < m; ++k) w[static_cast<std::size_t>(g * m + order[static_cast<std::size_t>(k)])] = 0.0f;
  }
  return w;
}

// A random matrix with about `sparsity` of its entries zero, and row `zero_row` all zero.
std::vector<float> unstructured_matrix(std::int64_t rows, std::int64_t cols, double sparsity, std::int64_t zero_row, std::uint32_t seed) {
  std::vector<float> w = test::random_values(static_cast<std::size_t>(rows * cols), seed);
  std::mt19937 rng(seed + 1);
  std::bernoulli_distribution drop(sparsity);
  for (std::int64_t i = 0; i < rows * cols; ++i)
    if (drop(rng) || i / cols == zero_row) w[static_cast<std::size_t>(i)] = 0.0f;
  return w;
}

compressed_weight compress(const std::vector<float>& dense, std::int64_t rows, std::int64_t cols, weight_layout layout) {
  compressed_weight w{rows, cols, std::move(layout)};
  REQUIRE(check_layout(w).ok());
  std::vector<float> back(dense.size());
  densify(w, back.data());
  REQUIRE(back == dense);
  return w;
}

matrix_f32 view_of(std::vector<float>& w, std::int64_t rows, std::int64_t cols) { return matrix_f32{w.data(), rows, cols, cols}; }

}  // namespace

TEST_CASE("vulkan linear: N:M sparse weights 1:2, 2:4 and 4:8", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  const std::vector<std::uint32_t> tokens{1, 3, 8, 9, 37};
  for (auto [n, m] : {std::pair{1, 2}, std::pair{2, 4}, std::pair{4, 8}}) {
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{67, 96}, {67, 136}, {1, 8}, {130, 264}}) {
      std::vector<float> dense = nm_matrix(rows, cols, n, m, 21);
      auto layout = encode_nm(view_of(dense, rows, cols), n, m);
      REQUIRE(layout);
      const compressed_weight cw = compress(dense, rows, cols, *layout);
      const vk::device_linear w = rig.upload(linear_weight{nullptr, &cw});
      CHECK(w.format_name() == "nm " + std::to_string(n) + ":" + std::to_string(m) + " f32 values");
      test::check_linear(rig, w, dense, tokens);
      if (rows == 67 && cols == 96) test::check_exact_decode(rig, w, dense);
    }
  }
  // 2:4 over many parts, and with f16 values.
  std::vector<float> dense = nm_matrix(131, 200, 2, 4, 23);
  auto layout = encode_nm(view_of(dense, 131, 200), 2, 4);
  REQUIRE(layout);
  const compressed_weight cw = compress(dense, 131, 200, *layout);
  const vk::device_linear parts = rig.upload(linear_weight{nullptr, &cw}, 1024);
  CHECK(parts.n_parts() > 5);
  test::check_linear(rig, parts, dense, {1, 37});
  const vk::device_linear half = rig.upload(linear_weight{nullptr, &cw}, 0, vk::sparse_storage::f16);
  CHECK(half.format_name() == "nm 2:4 f16 values");
  test::check_linear(rig, half, dense, {1, 37}, test::k_f16_values_tolerance);
  // A layout of an f16 model (f16 values): stored as f16 by default, its weights exactly.
  compressed_weight cw16 = cw;
  convert_sparse_values(cw16.layout, kick::value_type::f16);
  std::vector<float> dense16(dense.size());
  densify(cw16, dense16.data());
  const vk::device_linear stored16 = rig.upload(linear_weight{nullptr, &cw16});
  CHECK(stored16.format_name() == "nm 2:4 f16 values");
  test::check_exact_decode(rig, stored16, dense16);
  test::check_linear(rig, stored16, dense16, {1, 37});
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: bitmap sparse weights at 50 % and 90 % with an all-zero row", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  const std::vector<std::uint32_t> tokens{1, 3, 8, 9, 37};
  for (double sparsity : {0.5, 0.9}) {
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{67, 96}, {67, 136}, {1, 1}, {5, 13}, {130, 257}}) {
      std::vector<float> dense = unstructured_matrix(rows, cols, sparsity, rows / 2, 31);
      const compressed_weight cw = compress(dense, rows, cols, encode_bitmap(view_of(dense, rows, cols)));
      const vk::device_linear w = rig.upload(linear_weight{nullptr, &cw});
      CHECK(w.format_name() == "bitmap f32 values");
      test::check_linear(rig, w, dense, tokens);
      if (rows == 67 && cols == 136) test::check_exact_decode(rig, w, dense);
    }
  }
  std::vector<float> dense = unstructured_matrix(131, 200, 0.5, 3, 33);
  const compressed_weight cw = compress(dense, 131, 200, encode_bitmap(view_of(dense, 131, 200)));
  const vk::device_linear parts = rig.upload(linear_weight{nullptr, &cw}, 1024);
  CHECK(parts.n_parts() > 5);
  test::check_linear(rig, parts, dense, {1, 37});
  const vk::device_linear half = rig.upload(linear_weight{nullptr, &cw}, 0, vk::sparse_storage::f16);
  test::check_linear(rig, half, dense, {1, 37}, test::k_f16_values_tolerance);
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: a bad sparse layout is an error naming the tensor", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  std::vector<float> dense = nm_matrix(4, 8, 2, 4, 41);
  auto layout = encode_nm(view_of(dense, 4, 8), 2, 4);
  REQUIRE(layout);
  layout->values.f32.pop_back();
  const compressed_weight bad{4, 8, *layout};
  auto w = vk::device_linear::upload(*env.pool, linear_weight{nullptr, &bad}, {}, "blk.0.ffn_gate");
  REQUIRE_FALSE(w);
  CHECK_THAT(w.error().message(), Catch::Contains("blk.0.ffn_gate"));
  CHECK_THAT(w.error().message(), Catch::Contains("values"));
  std::vector<float> wide = nm_matrix(2, 32, 2, 16, 43);
  auto sixteen = encode_nm(view_of(wide, 2, 32), 2, 16);
  REQUIRE(sixteen);
  const compressed_weight unsupported{2, 32, *sixteen};
  auto u = vk::device_linear::upload(*env.pool, linear_weight{nullptr, &unsupported}, {}, "blk.1.attn_v");
  REQUIRE_FALSE(u);
  CHECK(u.error().code() == status_code::unimplemented);
  CHECK_THAT(u.error().message(), Catch::Contains("blk.1.attn_v"));
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
