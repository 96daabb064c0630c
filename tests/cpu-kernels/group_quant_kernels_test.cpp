// Group-quantized layers' native kernels (2/3/4/8 bits; group sizes that are and are not
// multiples of the 32-column step; act-order g_idx with uneven groups; AWQ input_scale) on every
// instruction set this machine runs, against a double product over densify.
// Tolerance: |y - y_double| <= 1e-5 * sum_c (|W[r][c]| + |scale * zero / input_scale[c]|) * |x[c]|:
// the kernels compute code * scale - scale * zero, which rounds relative to both terms.
#include <algorithm>
#include <numeric>
#include <string_view>

#include "core/bench/synthetic_weights.h"
#include "group_quant_layers.h"
#include "quant_kernel_check.h"

using namespace kick;
using namespace kick::cpu::testing;

namespace {

std::vector<float> gq_bound(const compressed_weight& w) {
  std::vector<float> bound = absolute_values(w);
  const auto& l = std::get<group_quant_layout>(w.layout);
  for (std::int64_t r = 0; r < w.n_rows; ++r)
    for (std::int64_t c = 0; c < w.n_cols; ++c) {
      const auto g = static_cast<std::size_t>(r * l.n_groups + quant_group_of(l, c));
      const float in = l.input_scale.empty() ? 1.0f : l.input_scale[static_cast<std::size_t>(c)];
      bound[static_cast<std::size_t>(r * w.n_cols + c)] += std::fabs(l.scales[g] * l.zeros[g] / in);
    }
  return bound;
}

}  // namespace

TEST_CASE("cpu kernels: group-quant layers (2/3/4/8 bits, any group, act-order, input_scale) match the double product", "[cpu-kernels][gq]") {
  std::vector<gq_shape> shapes;
  for (int bits : {2, 3, 4, 8}) {
    shapes.push_back({bits, 1, 32, 32, act_order::none, false});
    shapes.push_back({bits, 7, 128, 64, act_order::none, false});
    shapes.push_back({bits, 19, 263, 128, act_order::none, false});  // a prime number of columns: a partial last step
    shapes.push_back({bits, 5, 29, 29, act_order::none, false});     // fewer columns than one step
    shapes.push_back({bits, 11, 200, 100, act_order::none, true});   // groups that split 32-column steps
    shapes.push_back({bits, 13, 160, 16, act_order::none, false});   // groups smaller than a step
    shapes.push_back({bits, 17, 257, 32, act_order::uneven, false});    // act-order, uneven groups
    shapes.push_back({bits, 3, 300, 64, act_order::uneven, true});
    shapes.push_back({bits, 2, 20, 8, act_order::uneven, false});       // act-order narrower than a step
  }
  // 4 bits on AVX-512 and AVX2: lane blocks of 128 columns, scratch split into column chunks, a partial last block
  shapes.push_back({4, 9, 1100, 128, act_order::none, false});
  shapes.push_back({4, 6, 700, 256, act_order::none, false});  // a group that continues into the partial block
  shapes.push_back({4, 5, 640, 32, act_order::none, false});   // four groups per block: per-lane scales
  shapes.push_back({4, 4, 600, 8, act_order::none, false});
  shapes.push_back({4, 3, 300, 128, act_order::none, true});    // input_scale (AWQ): x / input_scale prepared, the tail in steps
  shapes.push_back({4, 5, 1000, 128, act_order::none, true});
  shapes.push_back({4, 3, 640, 64, act_order::even, true});     // act-order with input_scale
  shapes.push_back({4, 2, 6500, 128, act_order::none, false});  // more blocks than one L1-sized run: runs of equal length
  // 8 bits (blocks of 64 columns) and 2 bits (256 columns) the same way
  for (int bits : {8, 2}) {
    shapes.push_back({bits, 9, 1100, 128, act_order::none, false});
    shapes.push_back({bits, 6, 1300, 384, act_order::none, false});  // a group that continues into the partial block
    shapes.push_back({bits, 5, 1024, 32, act_order::none, false});   // several groups per block: per-lane scales
    shapes.push_back({bits, 3, 1536, 64, act_order::even, false});   // act-order: x gathered into group order
    shapes.push_back({bits, 2, 12000, 128, act_order::none, false});  // several runs
    shapes.push_back({bits, 4, 2100, 512, act_order::none, false});   // groups of whole blocks, a partial group in the tail
    shapes.push_back({bits, 3, 1100, 128, act_order::none, true});    // input_scale
  }
  for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
    for (const gq_shape& s : shapes) {
      INFO(kernels->isa << " int" << s.bits << " " << s.rows << "x" << s.cols << " group " << s.group_size << (s.order != act_order::none ? " act-order" : "")
                        << (s.input_scale ? " input_scale" : ""));
      const compressed_weight w = make_group_quant_layer(s, static_cast<std::uint32_t>(s.rows * 1000 + s.cols + s.bits));
      REQUIRE(check_layout(w).ok());
      check_layer(w, *kernels, gq_bound(w), 1e-5);
    }
  }
}

TEST_CASE("cpu kernels: the benchmark's group-quant formats run natively", "[cpu-kernels][gq]") {
  for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
    for (const char* format : {"int8-g128", "int4-g128", "int3-g128", "int2-g128", "int4-g128-actorder"}) {
      INFO(kernels->isa << " " << format);
      auto w = make_synthetic_weight(format, 37, 520, 7);
      REQUIRE(w);
      check_layer(*w->compressed, *kernels, gq_bound(*w->compressed), 1e-5);
      if (std::string_view(kernels->isa) != "generic" && !std::string_view(format).starts_with("int3")) {
        auto lin = kick::cpu::make_compressed_linear(*w->compressed, *kernels);
        REQUIRE(lin);
        CHECK((*lin)->kernel_name().find("lane-blocks") != std::string::npos);
      }
    }
  }
}

TEST_CASE("cpu kernels: group-quant bit widths without native kernels fall back to the generic layer", "[cpu-kernels][gq]") {
  compressed_weight w = make_group_quant_layer({5, 3, 40, 16, act_order::none, false}, 1);
  std::get<group_quant_layout>(w.layout).bits = 5;
  auto& l = std::get<group_quant_layout>(w.layout);
  l.words_per_row = quant_words_per_row(w.n_cols, 5);
  l.packed.assign(static_cast<std::size_t>(w.n_rows * l.words_per_row), 0u);
  REQUIRE(check_layout(w).ok());
  auto lin = kick::cpu::make_compressed_linear(w, kick::cpu::best_kernels());
  REQUIRE(lin);
  CHECK((*lin)->kernel_name().find("decode + dot") != std::string::npos);
}

#if defined(__x86_64__)
TEST_CASE("cpu kernels: lane blocks are not used under denormals-are-zero", "[cpu-kernels][gq]") {
  const unsigned saved = __builtin_ia32_stmxcsr();
  __builtin_ia32_ldmxcsr(saved | 0x40u);  // DAZ: the subnormal-coded lane blocks would read zeros
  for (const char* format : {"int2-g128", "int4-g128", "int8-g128"}) {
    auto w = make_synthetic_weight(format, 9, 640, 3);
    REQUIRE(w);
    for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
      INFO(kernels->isa << " " << format);
      check_layer(*w->compressed, *kernels, gq_bound(*w->compressed), 1e-5);
    }
  }
  __builtin_ia32_ldmxcsr(saved);
}
#endif
