// Conformance of RoPE (both layouts, tables as the CPU backend computes them) and of storing a
// chunk's keys and values into a layer's cache.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "ops.h"
#include "ops_test_support.h"
#include "rope_tables.h"

using namespace kick;

TEST_CASE("vulkan ops: rope tables are the CPU backend's double formula rounded to float", "[vulkan][ops]") {
  const std::int64_t head_dim = 64, n_ctx = 300;
  const double theta = 500000.0;
  const auto t = vk::make_rope_tables(head_dim, n_ctx, theta);
  REQUIRE(t.cos.size() == static_cast<std::size_t>(n_ctx * head_dim / 2));
  REQUIRE(t.sin.size() == t.cos.size());
  for (std::int64_t pos : {0, 1, 17, 299}) {
    for (std::int64_t i : {0, 1, 31}) {
      const double angle = static_cast<double>(pos) * std::pow(theta, -2.0 * static_cast<double>(i) / head_dim);
      CHECK(t.cos[static_cast<std::size_t>(pos * 32 + i)] == static_cast<float>(std::cos(angle)));
      CHECK(t.sin[static_cast<std::size_t>(pos * 32 + i)] == static_cast<float>(std::sin(angle)));
    }
  }
  CHECK(vk::make_rope_tables(0, 10, theta).cos.empty());
}

TEST_CASE("vulkan ops: rope matches the CPU rotation in both layouts to 1e-6", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  const std::uint32_t n_ctx = 64;
  struct shape {
    std::uint32_t n_tokens, n_heads, head_dim, pos0, padding;
  };
  for (const rope_layout layout : {rope_layout::rotate_half, rope_layout::interleaved}) {
    for (const shape s : {shape{1, 1, 8, 0, 0}, shape{5, 6, 48, 37, 5}, shape{3, 2, 64, 11, 0}, shape{2, 3, 128, 62, 3}}) {
      INFO("layout " << static_cast<int>(layout) << ", n_tokens " << s.n_tokens << ", n_heads " << s.n_heads << ", head_dim "
                     << s.head_dim << ", pos0 " << s.pos0);
      const std::uint32_t half = s.head_dim / 2;
      const std::uint32_t stride = s.n_heads * s.head_dim + s.padding;
      const auto tables = vk::make_rope_tables(s.head_dim, n_ctx, 10000.0);
      const auto rows = test::random_floats(std::size_t{s.n_tokens} * stride, 11);
      auto br = h.buffer(rows, "rows");
      auto bc = h.buffer(tables.cos, "cos");
      auto bs = h.buffer(tables.sin, "sin");
      REQUIRE(vk::record_rope(h.begin(), br, s.n_tokens, stride, s.n_heads, s.head_dim, s.pos0, bc, bs, layout).ok());
      h.run();
      const auto out = h.read(br, rows.size());
      std::vector<float> expected = rows;
      for (std::uint32_t t = 0; t < s.n_tokens; ++t) {
        const float* c = tables.cos.data() + std::size_t{s.pos0 + t} * half;
        const float* sn = tables.sin.data() + std::size_t{s.pos0 + t} * half;
        for (std::uint32_t hd = 0; hd < s.n_heads; ++hd) {
          float* v = expected.data() + std::size_t{t} * stride + std::size_t{hd} * s.head_dim;
          for (std::uint32_t i = 0; i < half; ++i) {
            const std::uint32_t lo = layout == rope_layout::rotate_half ? i : 2 * i;
            const std::uint32_t hi = layout == rope_layout::rotate_half ? i + half : 2 * i + 1;
            const float a = v[lo], b = v[hi];
            v[lo] = a * c[i] - b * sn[i];
            v[hi] = a * sn[i] + b * c[i];
          }
        }
      }
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const bool pad = i % stride >= s.n_heads * s.head_dim;
        if (pad) {
          REQUIRE(out[i] == rows[i]);  // the rest of the row is left alone
        } else {
          REQUIRE(std::abs(out[i] - expected[i]) <= 1e-6f);
        }
      }
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: rope needs table rows up to its last position", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  const auto tables = vk::make_rope_tables(8, 10, 10000.0);
  auto br = h.buffer(std::vector<float>(16), "rows");
  auto bc = h.buffer(tables.cos, "cos");
  auto bs = h.buffer(tables.sin, "sin");
  auto& ctx = h.begin();
  const status s = vk::record_rope(ctx, br, 2, 8, 1, 8, 9, bc, bs, rope_layout::rotate_half);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("rope") && Catch::Contains("cos table"));
  const status odd = vk::record_rope(ctx, br, 1, 8, 1, 7, 0, bc, bs, rope_layout::rotate_half);
  REQUIRE_FALSE(odd.ok());
  CHECK_THAT(odd.message(), Catch::Contains("head_dim 7"));
  h.run();
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan ops: kv_store writes a chunk at pos0 and nothing else", "[vulkan][ops]") {
  KICK_REQUIRE_VULKAN(env);
  test::op_harness h(env);
  const std::uint32_t n_tokens = 5, n_kv_heads = 2, head_dim = 48, n_ctx = 50, pos0 = 7;
  const std::uint32_t kv_dim = n_kv_heads * head_dim;
  const auto k = test::random_floats(std::size_t{n_tokens} * kv_dim, 12);
  const auto v = test::random_floats(std::size_t{n_tokens} * kv_dim, 13);
  const std::vector<float> sentinel(std::size_t{n_kv_heads} * n_ctx * head_dim, -99.0f);
  auto bk = h.buffer(k, "k");
  auto bv = h.buffer(v, "v");
  auto bck = h.buffer(sentinel, "cache_k");
  auto bcv = h.buffer(sentinel, "cache_v");
  REQUIRE(vk::record_kv_store(h.begin(), bk, bv, bck, bcv, n_tokens, n_kv_heads, head_dim, n_ctx, pos0).ok());
  h.run();
  const auto ck = h.read(bck, sentinel.size());
  const auto cv = h.read(bcv, sentinel.size());
  for (std::uint32_t hd = 0; hd < n_kv_heads; ++hd) {
    for (std::uint32_t pos = 0; pos < n_ctx; ++pos) {
      for (std::uint32_t d = 0; d < head_dim; ++d) {
        const std::size_t at = (std::size_t{hd} * n_ctx + pos) * head_dim + d;
        const bool written = pos >= pos0 && pos < pos0 + n_tokens;
        const std::size_t src = std::size_t{pos - pos0} * kv_dim + hd * head_dim + d;
        REQUIRE(ck[at] == (written ? k[src] : -99.0f));
        REQUIRE(cv[at] == (written ? v[src] : -99.0f));
      }
    }
  }
  auto& ctx = h.begin();
  const status past = vk::record_kv_store(ctx, bk, bv, bck, bcv, n_tokens, n_kv_heads, head_dim, n_ctx, 46);
  CHECK(past.code() == status_code::out_of_range);
  CHECK_THAT(past.message(), Catch::Contains("kv_store") && Catch::Contains("50"));
  h.run();
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
