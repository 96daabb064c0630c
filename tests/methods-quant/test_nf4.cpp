// NF4 (plugins/method-nf4): the code table and its ties, blockwise absmax with a partial trailing
// block, the nibble packing, double quantization with the signed dynamic map.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dynamic_map.h"
#include "kick/format_codec.h"
#include "nf4.h"
#include "quant_fixture.h"

namespace {

kick::param_map nf4_map(std::int64_t block = 64, bool double_quant = false) {
  kick::param_map m;
  m.set("block_size", block);
  m.set("double_quant", double_quant);
  return m;
}

kick::methods::nf4_params params_of(const kick::param_map& m) {
  auto p = kick::methods::parse_nf4_params(m);
  REQUIRE(p.has_value());
  return *p;
}

kick::nf4_layout run_nf4(std::vector<float>& w, std::int64_t rows, std::int64_t cols, const kick::methods::nf4_params& p) {
  auto out = kick::methods::nf4_compress(quant_test::as_matrix(w, rows, cols), p);
  REQUIRE(out.has_value());
  auto* l = std::get_if<kick::nf4_layout>(&out->layout);
  REQUIRE(l != nullptr);
  return *l;
}

std::vector<float> random_weight(std::int64_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(static_cast<std::size_t>(n));
  for (float& v : w) v = normal(rng);
  return w;
}

}  // namespace

TEST_CASE("nf4 codes: every table value maps to itself, midpoints go to the lower code", "[nf4]") {
  for (std::uint8_t k = 0; k < 16; ++k) CHECK(kick::nf4_code(kick::k_nf4_table[k]) == k);
  for (std::uint8_t k = 0; k < 15; ++k) {
    const float mid = (kick::k_nf4_table[k] + kick::k_nf4_table[k + 1]) * 0.5f;
    CHECK(kick::nf4_code(mid) == k);
    CHECK(kick::nf4_code(std::nextafter(mid, 2.0f)) == k + 1);
  }
  CHECK(kick::nf4_code(-1.0f) == 0);
  CHECK(kick::nf4_code(1.0f) == 15);
}

TEST_CASE("nf4 blockwise absmax: nearest code per element, high nibble first, partial trailing block", "[nf4]") {
  const std::int64_t rows = 3, cols = 50, n = rows * cols;  // 150 = 2 blocks of 64 + 22
  const std::vector<float> original = random_weight(n, 4);
  std::vector<float> w = original;
  const kick::nf4_layout l = run_nf4(w, rows, cols, params_of(nf4_map()));
  REQUIRE(l.absmax.size() == 3);
  CHECK(l.codes.size() == 75);
  CHECK_FALSE(l.double_quant);
  for (std::int64_t b = 0; b < 3; ++b) {
    float m = 0.0f;
    for (std::int64_t i = b * 64; i < std::min(n, (b + 1) * 64); ++i) m = std::max(m, std::fabs(original[static_cast<std::size_t>(i)]));
    CHECK(l.absmax[static_cast<std::size_t>(b)] == m);
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const float m = l.absmax[static_cast<std::size_t>(i / 64)];
    const float scaled = original[static_cast<std::size_t>(i)] * (1.0f / m);
    const std::uint8_t code = kick::nf4_code_at(l, i);
    const std::uint8_t byte = l.codes[static_cast<std::size_t>(i / 2)];
    CHECK(code == (i % 2 == 0 ? byte >> 4 : byte & 0x0f));
    for (int k = 0; k < 16; ++k)
      CHECK(std::fabs(scaled - kick::k_nf4_table[code]) <= std::fabs(scaled - kick::k_nf4_table[k]));
    CHECK(w[static_cast<std::size_t>(i)] == kick::k_nf4_table[code] * m);
  }
  // The element holding a block's absmax is exactly representable (code 0 or 15).
  CHECK(quant_test::densify(kick::weight_layout{l}, rows, cols) == w);
}

TEST_CASE("nf4 reproduces table values exactly and zero blocks as zeros", "[nf4]") {
  const std::int64_t rows = 2, cols = 64;
  std::vector<float> w(static_cast<std::size_t>(rows * cols), 0.0f);
  for (std::int64_t i = 0; i < cols; ++i) w[static_cast<std::size_t>(i)] = kick::k_nf4_table[i % 16] * 0.5f;
  const std::vector<float> original = w;  // row 1 (block 1) is all zeros
  const kick::nf4_layout l = run_nf4(w, rows, cols, params_of(nf4_map()));
  CHECK(l.absmax[0] == 0.5f);
  CHECK(l.absmax[1] == 0.0f);
  CHECK(w == original);
  for (std::int64_t i = 0; i < cols; ++i) CHECK(kick::nf4_code_at(l, i) == i % 16);
}

TEST_CASE("nf4 signed dynamic map: 256 ascending values, 0 at 127, 1 at 255, symmetric", "[nf4]") {
  const auto& map = kick::methods::signed_dynamic_map();
  for (std::size_t k = 1; k < 256; ++k) CHECK(map[k - 1] < map[k]);
  CHECK(map[127] == 0.0f);
  CHECK(map[255] == 1.0f);
  for (std::size_t k = 0; k < 127; ++k) CHECK(map[k] == -map[254 - k]);
  // The smallest magnitude is 10^-6 times the midpoint of linspace(0.1, 1, 2): 0.55e-6.
  CHECK(map[128] == Approx(0.55e-6).epsilon(1e-6));
  CHECK(map[254] == Approx((1.0 + (1.0 - 0.9 / 64)) / 2).epsilon(1e-6));
  CHECK(kick::methods::dynamic_map_code(0.0f) == 127);
  CHECK(kick::methods::dynamic_map_code(1.0f) == 255);
  CHECK(kick::methods::dynamic_map_code(-1.0f) == 0);
  const float mid = (map[200] + map[201]) * 0.5f;
  if ((mid - map[200]) == (map[201] - mid)) CHECK(kick::methods::dynamic_map_code(mid) == 200);  // tie: lower code
}

TEST_CASE("nf4 double quantization: absmax codes decode to the layout's absmax, near the exact values", "[nf4]") {
  const std::int64_t rows = 40, cols = 1000;  // 625 blocks of 64: absmax blocks of 256, 256, 113
  std::vector<float> plain_w = random_weight(rows * cols, 9);
  std::vector<float> dq_w = plain_w;
  const kick::nf4_layout plain = run_nf4(plain_w, rows, cols, params_of(nf4_map()));
  const kick::nf4_layout dq = run_nf4(dq_w, rows, cols, params_of(nf4_map(64, true)));
  REQUIRE(dq.double_quant);
  CHECK(dq.absmax_block_size == 256);
  REQUIRE(dq.absmax_codes.size() == 625);
  REQUIRE(dq.absmax2.size() == 3);
  CHECK(dq.codes == plain.codes);  // 4-bit codes are chosen with the exact absmax
  double mean = 0.0;
  for (float m : plain.absmax) mean += m;
  mean /= 625.0;
  CHECK(dq.absmax_offset == Approx(mean).epsilon(1e-6));
  const auto& map = kick::methods::signed_dynamic_map();
  for (std::size_t b = 0; b < 625; ++b) {
    const float absmax2 = dq.absmax2[b / 256];
    const float centered = plain.absmax[b] - dq.absmax_offset;
    const std::uint8_t code = dq.absmax_codes[b];
    CHECK(dq.absmax[b] == map[code] * absmax2 + dq.absmax_offset);
    const float scaled = std::clamp(centered * (1.0f / absmax2), -1.0f, 1.0f);
    for (std::size_t k = 0; k < 256; ++k) CHECK(std::fabs(scaled - map[code]) <= std::fabs(scaled - map[k]));
    CHECK(std::fabs(dq.absmax[b] - plain.absmax[b]) <= 0.01f * absmax2);
  }
  CHECK(quant_test::densify(kick::weight_layout{dq}, rows, cols) == dq_w);
  CHECK(kick::storage_bits_per_weight({rows, cols, dq}) < kick::storage_bits_per_weight({rows, cols, plain}));
  std::vector<float> again = random_weight(rows * cols, 9);
  const kick::nf4_layout dq2 = run_nf4(again, rows, cols, params_of(nf4_map(64, true)));
  CHECK(again == dq_w);
  CHECK(dq2.absmax_codes == dq.absmax_codes);
}

TEST_CASE("nf4 refuses bad block sizes and non-finite weights", "[nf4]") {
  for (std::int64_t bad : {16, 48, 100, 8192}) {
    auto p = kick::methods::parse_nf4_params(nf4_map(bad));
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().message().find("block_size") != std::string::npos);
  }
  std::vector<float> w(64, 0.1f);
  w[10] = INFINITY;
  auto out = kick::methods::nf4_compress(quant_test::as_matrix(w, 1, 64), params_of(nf4_map()));
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code() == kick::status_code::failed_precondition);
}
