// Exact comparison of model views for round-trip tests.
#pragma once

#include <string>
#include <vector>

#include "kick/model.h"

namespace kick::test {

// Empty when `actual` equals `expected` (same dtype and shape; row i of actual has the bytes of
// row rows[i] of expected, or row i when rows is empty); otherwise the first difference.
std::string tensor_difference(const tensor_view& expected, const tensor_view& actual,
                              const std::vector<std::int64_t>& rows = {});

// Compares configs and every tensor. When the RoPE layouts differ, Q/K rows (and biases) of
// `actual` are matched through the llama.cpp permutation. Vectors (norms, biases) are compared as
// f32 after rounding `expected` through `vector_storage` (the dtype the file stored them in).
std::string model_difference(const model_view& expected, const model_view& actual, dtype vector_storage = dtype::f32);

// True when [data, data + size) lies inside one of `ranges`' mapped files: the loader did not copy.
bool points_into(const void* data, const std::vector<std::pair<const void*, std::size_t>>& ranges);

}  // namespace kick::test
