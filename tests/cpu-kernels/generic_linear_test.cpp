// The portable compressed-layer kernels (decode + dot) against a double-precision product over
// kick::densify, for every layout: the reference the instruction-set kernels are checked against.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "compressed_linear.h"
#include "core/bench/synthetic_weights.h"
#include "kick/format_codec.h"

using namespace kick;

TEST_CASE("cpu kernels: the generic compressed layers compute W x for every layout", "[cpu-kernels]") {
  const kick::cpu::kernel_set* generic = kick::cpu::find_kernels("generic");
  REQUIRE(generic != nullptr);
  for (const char* format : {"1:2", "2:4", "4:8", "unstructured-50", "unstructured-90", "int8-g128", "int4-g128", "int3-g128", "int2-g128",
                             "int4-g128-actorder", "nf4", "int8-outliers"}) {
    for (auto [rows, cols] : {std::pair<std::int64_t, std::int64_t>{1, 8}, {7, 136}, {67, 264}}) {
      INFO(format << " " << rows << "x" << cols);
      auto w = make_synthetic_weight(format, rows, cols, 3);
      REQUIRE(w);
      auto lin = kick::cpu::make_compressed_linear(*w->compressed, *generic);
      REQUIRE(lin);
      std::vector<float> dense(static_cast<std::size_t>(rows * cols));
      densify(*w->compressed, dense.data());
      const std::int64_t n_tokens = 3;
      std::vector<float> x(static_cast<std::size_t>(n_tokens * cols));
      std::mt19937 rng(5);
      std::normal_distribution<float> normal;
      for (float& v : x) v = normal(rng);
      std::vector<float> y(static_cast<std::size_t>(n_tokens * rows), NAN);
      std::vector<float> scratch(static_cast<std::size_t>((*lin)->scratch_floats()));
      (*lin)->matvec(0, rows, x.data(), n_tokens, y.data(), rows, scratch.data());
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t r = 0; r < rows; ++r) {
          double want = 0.0, magnitude = 0.0;
          for (std::int64_t c = 0; c < cols; ++c) {
            const double p = static_cast<double>(dense[static_cast<std::size_t>(r * cols + c)]) * x[static_cast<std::size_t>(t * cols + c)];
            want += p;
            magnitude += std::fabs(p);
          }
          CHECK(std::fabs(y[static_cast<std::size_t>(t * rows + r)] - want) <= 1e-5 * magnitude + 1e-7);
        }
      }
      std::vector<float> decoded(static_cast<std::size_t>(rows * cols));
      (*lin)->decode_rows(0, rows, decoded.data());
      CHECK(decoded == dense);
    }
  }
}
