// Random group-quantized layers for the kernel tests: random codes, scales and fractional zeros
// (every third zero whole), optional act-order g_idx and AWQ input_scale.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kick/format_codec.h"
#include "kick/formats.h"

namespace kick::cpu::testing {

enum class act_order {
  none,
  uneven,  // each group's first column is column g, the others drawn at random: uneven group sizes
  even,    // a random permutation: every group has exactly group_size columns
};

struct gq_shape {
  int bits;
  std::int64_t rows, cols, group_size;
  act_order order;
  bool input_scale;
};

inline compressed_weight make_group_quant_layer(const gq_shape& s, std::uint32_t seed) {
  std::mt19937 rng(seed);
  group_quant_layout l;
  l.bits = s.bits;
  l.group_size = s.group_size;
  l.words_per_row = quant_words_per_row(s.cols, s.bits);
  l.n_groups = (s.cols + s.group_size - 1) / s.group_size;
  l.packed.assign(static_cast<std::size_t>(s.rows * l.words_per_row), 0u);
  std::uniform_int_distribution<std::uint32_t> code(0, (1u << s.bits) - 1u);
  for (std::int64_t r = 0; r < s.rows; ++r)
    for (std::int64_t c = 0; c < s.cols; ++c) set_quant_code(l, r, c, code(rng));
  std::uniform_real_distribution<float> scale(0.001f, 0.05f), zero(0.0f, static_cast<float>((1 << s.bits) - 1));
  for (std::int64_t i = 0; i < s.rows * l.n_groups; ++i) {
    l.scales.push_back(scale(rng));
    l.zeros.push_back(i % 3 == 0 ? std::round(zero(rng)) : zero(rng));
  }
  if (s.order == act_order::uneven) {
    std::uniform_int_distribution<std::int32_t> group(0, static_cast<std::int32_t>(l.n_groups - 1));
    for (std::int64_t c = 0; c < s.cols; ++c) l.g_idx.push_back(c < l.n_groups ? static_cast<std::int32_t>(c) : group(rng));
  } else if (s.order == act_order::even) {
    std::vector<std::int32_t> perm(static_cast<std::size_t>(s.cols));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (std::int32_t p : perm) l.g_idx.push_back(static_cast<std::int32_t>(p / s.group_size));
  }
  if (s.input_scale) {
    std::uniform_real_distribution<float> in(0.25f, 4.0f);
    for (std::int64_t c = 0; c < s.cols; ++c) l.input_scale.push_back(in(rng));
  }
  return compressed_weight{s.rows, s.cols, std::move(l)};
}

}  // namespace kick::cpu::testing
