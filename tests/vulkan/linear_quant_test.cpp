// Conformance of linear layers with group-quantized (2, 3, 4, 8 bits; g_idx; input_scale), NF4
// and int8-with-outlier weights against a double-accumulating reference over kick::densify, plus
// a bit-exact decode check. Tolerance: |y - ref| <= 1e-5 * sum_c |W[r][c] x[t][c]| + 1e-6.
#include <random>
#include <vector>

#include "kick/format_codec.h"
#include "linear_test_support.h"

using namespace kick;

namespace {

struct gq_options {
  std::int32_t bits = 4;
  std::int64_t group_size = 32;
  bool act_order = false;
  bool input_scale = false;
};

// Random codes, scales and (fractional) zeros; act_order assigns columns to groups at random.
compressed_weight make_gq(std::int64_t rows, std::int64_t cols, const gq_options& o, std::uint32_t seed) {
  std::mt19937 rng(seed);
  group_quant_layout l;
  l.bits = o.bits;
  l.group_size = o.group_size;
  l.words_per_row = quant_words_per_row(cols, o.bits);
  l.n_groups = (cols + o.group_size - 1) / o.group_size;
  l.packed.assign(static_cast<std::size_t>(rows * l.words_per_row), 0u);
  std::uniform_int_distribution<std::uint32_t> code(0, (1u << o.bits) - 1u);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) set_quant_code(l, r, c, code(rng));
  l.scales = test::random_values(static_cast<std::size_t>(rows * l.n_groups), seed + 1, 0.001f, 0.1f);
  l.zeros = test::random_values(static_cast<std::size_t>(rows * l.n_groups), seed + 2, 0.0f, static_cast<float>(1u << o.bits));
  if (o.act_order) {
    std::uniform_int_distribution<std::int32_t> group(0, static_cast<std::int32_t>(l.n_groups - 1));
    for (std::int64_t c = 0; c < cols; ++c) l.g_idx.push_back(group(rng));
  }
  if (o.input_scale) l.input_scale = test::random_values(static_cast<std::size_t>(cols), seed + 3, 0.3f, 3.0f);
  return compressed_weight{rows, cols, std::move(l)};
}

compressed_weight make_nf4(std::int64_t rows, std::int64_t cols, std::int64_t block_size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  nf4_layout l;
  l.block_size = block_size;
  std::uniform_int_distribution<int> byte(0, 255);
  l.codes.resize(static_cast<std::size_t>((rows * cols + 1) / 2));
  for (auto& b : l.codes) b = static_cast<std::uint8_t>(byte(rng));
  l.absmax = test::random_values(static_cast<std::size_t>((rows * cols + block_size - 1) / block_size), seed + 1, 0.01f, 2.0f);
  return compressed_weight{rows, cols, std::move(l)};
}

compressed_weight make_int8o(std::int64_t rows, std::int64_t cols, std::vector<std::int32_t> outliers, std::uint32_t seed) {
  std::mt19937 rng(seed);
  int8_outlier_layout l;
  std::uniform_int_distribution<int> q(-127, 127);
  l.q.resize(static_cast<std::size_t>(rows * cols));
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    const bool outlier = std::find(outliers.begin(), outliers.end(), static_cast<std::int32_t>(i % cols)) != outliers.end();
    l.q[static_cast<std::size_t>(i)] = outlier ? 0 : static_cast<std::int8_t>(q(rng));
  }
  l.row_scale = test::random_values(static_cast<std::size_t>(rows), seed + 1, 0.001f, 0.02f);
  l.outlier_values = test::random_values(static_cast<std::size_t>(rows) * outliers.size(), seed + 2, -8.0f, 8.0f);
  l.outlier_cols = std::move(outliers);
  return compressed_weight{rows, cols, std::move(l)};
}

std::vector<float> dense_of(const compressed_weight& w) {
  REQUIRE(check_layout(w).ok());
  std::vector<float> out(static_cast<std::size_t>(w.n_rows * w.n_cols));
  densify(w, out.data());
  return out;
}

// Every token count of the conformance matrix, and the two that reach both kernels (each token
// count and format variant is a pipeline lavapipe compiles: secondary shapes use fewer).
const std::vector<std::uint32_t> k_all_tokens{1, 3, 8, 9, 37};
const std::vector<std::uint32_t> k_some_tokens{3, 37};

// Every check of one compressed weight: the token counts, an exact decode, and (when
// `split_limit`) the same weight cut into many parts.
void check_all(test::linear_rig& rig, const compressed_weight& cw, const std::string& name, bool exact, std::uint64_t split_limit = 0,
               const std::vector<std::uint32_t>& tokens = k_all_tokens) {
  const std::vector<float> dense = dense_of(cw);
  const vk::device_linear w = rig.upload(linear_weight{nullptr, &cw});
  CHECK(w.format_name() == name);
  test::check_linear(rig, w, dense, tokens);
  if (exact) test::check_exact_decode(rig, w, dense);
  if (split_limit > 0) {
    const vk::device_linear parts = rig.upload(linear_weight{nullptr, &cw}, split_limit);
    CHECK(parts.n_parts() > 5);
    test::check_linear(rig, parts, dense, {1, 37});
    if (exact) test::check_exact_decode(rig, parts, dense);
  }
}

}  // namespace

TEST_CASE("vulkan linear: group-quantized weights of 2, 3, 4 and 8 bits", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  for (std::int32_t bits : {2, 3, 4, 8}) {
    const std::string b = std::to_string(bits);
    check_all(rig, make_gq(67, 96, {bits, 32}, 51), "gq int" + b + " g32", true);
    check_all(rig, make_gq(67, 136, {bits, 136}, 52), "gq int" + b + " g136", false, 0, k_some_tokens);  // one group per row
  }
  for (std::int32_t bits : {3, 4}) {  // tails: codes straddling words (3) or not (4), groups of odd sizes
    const std::string b = std::to_string(bits);
    check_all(rig, make_gq(5, 13, {bits, 5}, 53), "gq int" + b + " g5", false, 0, {1, 3, 9});
    check_all(rig, make_gq(1, 1, {bits, 1}, 54), "gq int" + b + " g1", false, 0, {1, 9});
  }
  check_all(rig, make_gq(131, 200, {4, 40}, 55), "gq int4 g40", true, 2048);
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: group-quantized weights with act-order g_idx and AWQ input_scale", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  check_all(rig, make_gq(67, 96, {4, 32, true, false}, 61), "gq int4 g32 act-order", true);
  check_all(rig, make_gq(67, 136, {3, 32, false, true}, 62), "gq int3 g32 input-scaled", true, 0, k_some_tokens);
  check_all(rig, make_gq(67, 136, {8, 16, true, true}, 63), "gq int8 g16 act-order input-scaled", true, 1024, k_some_tokens);
  check_all(rig, make_gq(3, 21, {2, 7, true, true}, 64), "gq int2 g7 act-order input-scaled", false, 0, {1, 9});
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: NF4 weights, blocks running across rows and parts", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  check_all(rig, make_nf4(67, 96, 64, 71), "nf4 b64", true);
  check_all(rig, make_nf4(67, 137, 64, 72), "nf4 b64", true, 512);  // odd columns: rows start mid-byte and mid-block
  check_all(rig, make_nf4(5, 13, 3, 73), "nf4 b3", false);
  check_all(rig, make_nf4(1, 1, 64, 74), "nf4 b64", false);
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: int8 weights with outlier columns", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  check_all(rig, make_int8o(67, 96, {0, 17, 95}, 81), "int8 3 outliers", true);
  check_all(rig, make_int8o(67, 136, {}, 82), "int8 0 outliers", false);
  check_all(rig, make_int8o(131, 201, {5, 100, 200}, 83), "int8 3 outliers", true, 2048);
  check_all(rig, make_int8o(1, 1, {0}, 84), "int8 1 outliers", false);
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: embedding lookups of compressed tables, also across parts", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  test::linear_rig rig(env);
  const std::vector<std::uint32_t> ids{0, 66, 5, 5, 40, 1, 65};
  for (const compressed_weight& cw : {make_nf4(67, 75, 64, 95), make_gq(67, 75, {3, 16, true, true}, 96)}) {
    const std::vector<float> dense = dense_of(cw);
    for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{512}}) {
      const vk::device_linear table = rig.upload(linear_weight{nullptr, &cw}, limit);
      INFO(table.format_name() << ", " << table.n_parts() << " parts");
      const std::vector<float> out = rig.embed(table, ids);
      std::int64_t bad = 0;
      for (std::size_t t = 0; t < ids.size(); ++t)
        for (std::size_t c = 0; c < 75; ++c) bad += out[t * 75 + c] != dense[ids[t] * 75 + c];
      CHECK(bad == 0);
    }
  }
  CHECK(kick::test::vulkan_validation_messages() == 0);
}

TEST_CASE("vulkan linear: a bad quantized layout is an error naming the tensor", "[vulkan][linear]") {
  KICK_REQUIRE_VULKAN(env);
  compressed_weight gq = make_gq(4, 32, {4, 32}, 91);
  std::get<group_quant_layout>(gq.layout).scales.pop_back();
  auto w = vk::device_linear::upload(*env.pool, linear_weight{nullptr, &gq}, {}, "blk.2.attn_k");
  REQUIRE_FALSE(w);
  CHECK_THAT(w.error().message(), Catch::Contains("blk.2.attn_k"));
  CHECK_THAT(w.error().message(), Catch::Contains("scales"));
  compressed_weight nf4 = make_nf4(4, 32, 64, 92);
  std::get<nf4_layout>(nf4.layout).absmax.clear();
  auto n = vk::device_linear::upload(*env.pool, linear_weight{nullptr, &nf4}, {}, "blk.5.ffn_down");
  REQUIRE_FALSE(n);
  CHECK_THAT(n.error().message(), Catch::Contains("blk.5.ffn_down"));
  CHECK(kick::test::vulkan_validation_messages() == 0);
}
