// check_layout on N:M index fields: 1:2 and 2:4 rows are checked a byte at a time against a table
// (kick/format_codec.h), the rest index by index; either way a bad index is named exactly.
#include <catch2/catch.hpp>

#include <string>

#include "kick/format_codec.h"
#include "support/layout_support.h"

namespace {

using kick::compressed_weight;
using kick::nm_sparse_layout;

using kick::test::pruned_nm;

// Swaps the first two indices of group g of row r (out of order afterwards) and returns what
// check_layout must say: the second one, now not above the first.
std::string swap_group(compressed_weight& w, std::int64_t r, std::int64_t g) {
  auto& l = std::get<nm_sparse_layout>(w.layout);
  const std::int64_t k = g * l.n;
  const std::uint32_t a = kick::nm_index(l, w.n_cols, r, k), b = kick::nm_index(l, w.n_cols, r, k + 1);
  const int bits = kick::nm_index_bits(l.m);
  std::uint8_t* row = l.indices.data() + r * kick::nm_index_bytes_per_row(l, w.n_cols);
  for (std::int64_t j : {k, k + 1}) row[j * bits / 8] &= static_cast<std::uint8_t>(~(((1u << bits) - 1u) << (j * bits % 8)));
  kick::set_nm_index(l, w.n_cols, r, k, b);
  kick::set_nm_index(l, w.n_cols, r, k + 1, a);
  return "row " + std::to_string(r) + ": index " + std::to_string(a) + " of kept value " + std::to_string(k + 1) + " is out of order";
}

TEST_CASE("check_layout names the first N:M index out of order, in whole bytes and in a row's last bits", "[export][nm]") {
  // 2:4 over 148 columns: 74 kept values a row, 18 whole bytes of fields and 4 bits past them.
  for (std::int64_t g : {std::int64_t{0}, std::int64_t{20}, std::int64_t{36}}) {
    INFO("2:4, group " << g);
    compressed_weight w = pruned_nm(3, 148, 2, 4, 5);
    REQUIRE(kick::check_layout(w).ok());
    const std::string expected = swap_group(w, 2, g);
    const kick::status s = kick::check_layout(w);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(expected));
  }
  // 4:8: two bytes a group, checked index by index.
  compressed_weight four_eight = pruned_nm(2, 64, 4, 8, 5);
  REQUIRE(kick::check_layout(four_eight).ok());
  const std::string expected = swap_group(four_eight, 1, 5);
  CHECK_THAT(kick::check_layout(four_eight).message(), Catch::Contains(expected));
  // An index >= M: 2-bit fields can hold 3, out of range for 1:3 (checked a byte at a time).
  compressed_weight three = pruned_nm(1, 24, 1, 3, 5);
  REQUIRE(kick::check_layout(three).ok());
  auto& l = std::get<nm_sparse_layout>(three.layout);
  l.indices[0] = static_cast<std::uint8_t>((l.indices[0] & ~3u) | 3u);
  CHECK_THAT(kick::check_layout(three).message(), Catch::Contains("row 0: index 3 of kept value 0 is out of order or >= M"));
}

TEST_CASE("check_layout passes every 1:2 field and a 0:M layout keeps nothing to check", "[export][nm]") {
  compressed_weight half = pruned_nm(4, 96, 1, 2, 5);
  auto& l = std::get<nm_sparse_layout>(half.layout);
  for (std::size_t i = 0; i < l.indices.size(); ++i) l.indices[i] = static_cast<std::uint8_t>(i * 37);
  CHECK(kick::check_layout(half).ok());
  compressed_weight none{2, 8, nm_sparse_layout{}};
  auto& empty = std::get<nm_sparse_layout>(none.layout);
  empty.n = 0;
  empty.m = 4;
  CHECK(kick::check_layout(none).ok());
}

}  // namespace
