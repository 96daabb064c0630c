#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/util/rows_to_f32.h"
#include "kick/convert.h"

TEST_CASE("row_to_f32 widens every f16 value exactly as f16_to_f32, at any length and offset", "[util]") {
  std::vector<std::uint16_t> all(65536 + 3);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint16_t>(i * 40503u);  // every pattern, shuffled
  for (std::int64_t offset : {0, 1}) {
    const std::int64_t n = static_cast<std::int64_t>(all.size()) - offset;
    std::vector<float> out(static_cast<std::size_t>(n));
    kick::row_to_f32(kick::dtype::f16, all.data() + offset, out.data(), n);
    std::int64_t mismatches = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint16_t h = all[static_cast<std::size_t>(i + offset)];
      const float want = kick::f16_to_f32(h);
      // A NaN stays a NaN (the vector path quiets signalling ones); everything else is bit-exact.
      const bool same = std::isnan(want) ? std::isnan(out[static_cast<std::size_t>(i)])
                                         : std::bit_cast<std::uint32_t>(want) == std::bit_cast<std::uint32_t>(out[static_cast<std::size_t>(i)]);
      if (!same) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
  // Other types go through dequantize_row.
  const std::uint16_t bf16[3] = {0x3f80, 0xc000, 0x0001};
  float out[3];
  kick::row_to_f32(kick::dtype::bf16, bf16, out, 3);
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == -2.0f);
  CHECK(std::bit_cast<std::uint32_t>(out[2]) == 0x00010000u);
}
