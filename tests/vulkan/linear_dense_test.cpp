// Conformance of linear layers and embedding lookups with dense weights (f32, f16, bf16, q8_0)
// against a double-accumulating reference over the weights as kick::dequantize_row reads them.
// Tolerance: |y - ref| <= 1e-5 * sum_c |W[r][c] x[t][c]| + 1e-6.
#include <cstddef>
#include <vector>

#include "kick/convert.h"
#include "linear_test_support.h"

using namespace kick;

namespace {

// A [rows, cols] tensor of `type` holding random values, and its f32 reading.
struct dense_weight {
  std::vector<std::byte> bytes;
  std::vector<float> values;
  tensor_view view;
};

dense_weight make_dense(dtype type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  dense_weight d;
  const std::vector<float> source = test::random_values(static_cast<std::size_t>(rows * cols), seed);
  const std::int64_t row_bytes = row_size_bytes(type, cols);
  d.bytes.resize(static_cast<std::size_t>(rows * row_bytes));
  d.values.resize(source.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    quantize_row(type, source.data() + r * cols, d.bytes.data() + r * row_bytes, cols);
    dequantize_row(type, d.bytes.data() + r * row_bytes, d.values.data() + r * cols, cols);
  }
  d.view = make_contiguous_view(type, d.bytes.data(), rows, cols);
  return d;
}

struct shape {
  std::int64_t rows, cols;
};

}  // namespace

TEST_CASE("vulkan linear: dense f32, f16, bf16 and q8_0 weights, matvec and tiled matmul", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  const std::vector<std::uint32_t> tokens{1, 3, 8, 9, 37};
  for (dtype type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0}) {
    const std::vector<shape> shapes = type == dtype::q8_0 ? std::vector<shape>{{1, 32}, {67, 96}, {67, 160}, {5, 32}}
                                                          : std::vector<shape>{{1, 1}, {67, 96}, {67, 136}, {3, 13}, {130, 257}};
    for (const shape& s : shapes) {
      const dense_weight d = make_dense(type, s.rows, s.cols, 7);
      const vk::device_linear w = rig.upload(linear_weight{&d.view, nullptr});
      CHECK(w.format_name() == traits(type).name);
      CHECK(w.n_parts() == 1);
      test::check_linear(rig, w, d.values, tokens);
    }
    const dense_weight d = make_dense(type, 67, 96, 8);
    test::check_exact_decode(rig, rig.upload(linear_weight{&d.view, nullptr}), d.values);
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: a dense weight split into many parts by a small binding limit", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  for (dtype type : {dtype::f16, dtype::q8_0}) {
    const dense_weight d = make_dense(type, 131, 160, 9);
    const vk::device_linear w = rig.upload(linear_weight{&d.view, nullptr}, 4096);
    CHECK(w.n_parts() >= 5);
    CHECK(w.n_rows() == 131);
    test::check_linear(rig, w, d.values, {1, 37});
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: embedding lookups of dense tables, also across parts", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  const std::vector<std::uint32_t> ids{0, 66, 5, 5, 40, 1, 65};
  for (dtype type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0}) {
    const std::int64_t cols = type == dtype::q8_0 ? 96 : 75;
    const dense_weight d = make_dense(type, 67, cols, 11);
    for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1024}}) {
      const vk::device_linear table = rig.upload(linear_weight{&d.view, nullptr}, limit);
      INFO(table.format_name() << ", " << table.n_parts() << " parts");
      const std::vector<float> out = rig.embed(table, ids);
      std::int64_t bad = 0;
      for (std::size_t t = 0; t < ids.size(); ++t)
        for (std::int64_t c = 0; c < cols; ++c)
          bad += out[t * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)] != d.values[ids[t] * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
      CHECK(bad == 0);
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: a dense weight the kernels cannot take is an error naming it", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  std::vector<std::byte> bytes(34 * 3);
  const tensor_view view = make_contiguous_view(dtype::q8_0, bytes.data(), 1, 96);
  tensor_view odd = view;
  odd.shape[1] = 40;  // not whole q8_0 blocks
  auto w = vk::device_linear::upload(*env.pool, linear_weight{&odd, nullptr}, {}, "blk.3.ffn_up");
  REQUIRE_FALSE(w);
  CHECK_THAT(w.error().message(), Catch::Contains("blk.3.ffn_up"));
  auto none = vk::device_linear::upload(*env.pool, linear_weight{}, {}, "blk.4.attn_q");
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message(), Catch::Contains("blk.4.attn_q"));
  auto wide = vk::device_linear::upload(*env.pool, linear_weight{&view, nullptr}, vk::upload_options{16, vk::sparse_storage::f32}, "output");
  REQUIRE_FALSE(wide);
  CHECK_THAT(wide.error().message(), Catch::Contains("output"));
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
