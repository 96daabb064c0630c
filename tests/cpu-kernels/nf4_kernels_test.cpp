// NF4 layers' native kernels on every instruction set this machine runs, against a double product
// over densify: block sizes below, at and above the 32-column step, blocks that span rows, odd
// column counts (rows that start mid-byte), double-quantized absmax.
// Tolerance: |y - y_double| <= 1e-5 * sum_c |W[r][c] * x[c]| (the weights decode exactly).
#include "core/bench/synthetic_weights.h"
#include "quant_kernel_check.h"

using namespace kick;
using namespace kick::cpu::testing;

namespace {

compressed_weight make_layer(std::int64_t rows, std::int64_t cols, std::int64_t block_size, bool double_quant, std::uint32_t seed) {
  std::mt19937 rng(seed);
  nf4_layout l;
  l.block_size = block_size;
  const std::int64_t n = rows * cols, blocks = (n + block_size - 1) / block_size;
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::int64_t i = 0; i < (n + 1) / 2; ++i) l.codes.push_back(static_cast<std::uint8_t>(byte(rng)));
  std::uniform_real_distribution<float> absmax(0.01f, 0.2f);
  for (std::int64_t b = 0; b < blocks; ++b) l.absmax.push_back(absmax(rng));
  if (double_quant) {
    l.double_quant = true;
    l.absmax_block_size = 4;
    l.absmax_codes.assign(static_cast<std::size_t>(blocks), 0);
    l.absmax2.assign(static_cast<std::size_t>((blocks + 3) / 4), 1.0f);
  }
  return compressed_weight{rows, cols, std::move(l)};
}

}  // namespace

TEST_CASE("cpu kernels: NF4 layers (any block size, odd columns, double quant) match the double product", "[cpu-kernels][nf4]") {
  struct shape {
    std::int64_t rows, cols, block_size;
    bool double_quant;
  };
  const shape shapes[] = {{1, 32, 64, false},  {1, 7, 64, false},   {7, 64, 64, false},   {19, 263, 64, false}, {13, 33, 64, false},
                          {5, 129, 32, true},  {11, 100, 16, false}, {3, 257, 100, false}, {9, 31, 4096, false}, {4, 96, 48, true}};
  for (const kick::cpu::kernel_set* kernels : testable_kernel_sets()) {
    for (const shape& s : shapes) {
      INFO(kernels->isa << " nf4 " << s.rows << "x" << s.cols << " block " << s.block_size << (s.double_quant ? " double-quant" : ""));
      const compressed_weight w = make_layer(s.rows, s.cols, s.block_size, s.double_quant, static_cast<std::uint32_t>(s.rows * 131 + s.cols));
      REQUIRE(check_layout(w).ok());
      check_layer(w, *kernels, absolute_values(w), 1e-5);
    }
    auto bench = make_synthetic_weight("nf4", 37, 520, 5);
    REQUIRE(bench);
    check_layer(*bench->compressed, *kernels, absolute_values(*bench->compressed), 1e-5);
  }
}
