// Random linear-layer weights in every storage format kick executes, for kernel benchmarks:
// dense dtypes and the compressed layouts of kick/formats.h, built from one Gaussian matrix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kick/backend.h"
#include "kick/formats.h"
#include "kick/status.h"
#include "kick/tensor.h"

namespace kick {

// The formats `kickhost bench kernels` knows, in table order: f32 f16 bf16 q8_0 1:2 2:4 4:8
// unstructured-50 unstructured-70 unstructured-90 int8-g128 int4-g128 int3-g128 int2-g128
// int4-g128-actorder nf4 int8-outliers.
const std::vector<std::string>& kernel_format_names();

struct synthetic_weight {
  std::string format;
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::vector<std::byte> dense_bytes;            // storage of `dense` when the format is a dtype
  tensor_view dense;
  std::optional<compressed_weight> compressed;   // set for the compressed formats
  linear_weight view() const { return compressed ? linear_weight{nullptr, &*compressed} : linear_weight{&dense, nullptr}; }
};

// invalid_argument names an unknown format or a shape the format cannot take (N:M needs
// n_cols % m == 0, q8_0 n_cols % 32 == 0). Sparse formats hold their values as `sparse_values`
// (f16: as `kickhost compress` keeps them for an f16 model).
result<synthetic_weight> make_synthetic_weight(const std::string& format, std::int64_t n_rows, std::int64_t n_cols, std::uint32_t seed,
                                               value_type sparse_values = value_type::f32);

}  // namespace kick
