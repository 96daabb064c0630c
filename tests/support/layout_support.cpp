#include "support/layout_support.h"

#include <catch2/catch.hpp>

#include "kick/format_codec.h"

namespace kick::test {

std::vector<float> densify(const weight_layout& layout, std::int64_t n_out, std::int64_t n_in) {
  const compressed_weight cw{n_out, n_in, layout};
  const status s = check_layout(cw);
  INFO(s.message());
  REQUIRE(s.ok());
  std::vector<float> out(static_cast<std::size_t>(n_out * n_in));
  kick::densify(cw, out.data());
  return out;
}

}  // namespace kick::test
