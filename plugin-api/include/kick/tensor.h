// kick plugin API: element types and non-owning tensor views.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kick {

// Storage types of weights. Block types (q8_0) pack `block_elements` values in `block_bytes`.
enum class dtype : std::uint32_t {
  f32 = 0,
  f16 = 1,
  bf16 = 2,
  q8_0 = 3,  // blocks of 32: one f16 scale, then 32 int8 values (GGML layout)
};

struct dtype_traits {
  const char* name;
  std::int64_t block_elements;
  std::int64_t block_bytes;
};

constexpr dtype_traits traits(dtype t) {
  switch (t) {
    case dtype::f32: return {"f32", 1, 4};
    case dtype::f16: return {"f16", 1, 2};
    case dtype::bf16: return {"bf16", 1, 2};
    case dtype::q8_0: return {"q8_0", 32, 34};
  }
  return {"unknown", 1, 0};
}

// Bytes of one contiguous row of n_cols elements, or -1 when n_cols is not a whole number of blocks.
constexpr std::int64_t row_size_bytes(dtype t, std::int64_t n_cols) {
  const dtype_traits tr = traits(t);
  if (n_cols % tr.block_elements != 0) return -1;
  return n_cols / tr.block_elements * tr.block_bytes;
}

// A read-only view of a row-major tensor of up to 4 dimensions.
// shape[0] is the outermost dimension: a linear layer's weight is [n_out, n_in].
// The innermost dimension is contiguous; stride_bytes[i] is the distance between consecutive
// indices of dimension i (stride_bytes[n_dims-1] is the element size, or 0 for block types).
struct tensor_view {
  dtype type = dtype::f32;
  std::int32_t n_dims = 0;
  std::int64_t shape[4] = {0, 0, 0, 0};
  std::int64_t stride_bytes[4] = {0, 0, 0, 0};
  const void* data = nullptr;

  bool empty() const { return data == nullptr; }
  std::int64_t n_elements() const {
    std::int64_t n = n_dims > 0 ? 1 : 0;
    for (int i = 0; i < n_dims; ++i) n *= shape[i];
    return n;
  }
  // For a 2-D tensor: rows are shape[0], columns shape[1]. For 1-D: one row.
  std::int64_t n_rows() const { return n_dims >= 2 ? shape[0] : 1; }
  std::int64_t n_cols() const { return n_dims >= 1 ? shape[n_dims - 1] : 0; }
  std::int64_t row_stride_bytes() const { return n_dims >= 2 ? stride_bytes[0] : row_size_bytes(type, n_cols()); }
  const std::byte* row(std::int64_t i) const {
    return static_cast<const std::byte*>(data) + i * row_stride_bytes();
  }
};

// A contiguous row-major tensor view over `data` (rows packed back to back).
inline tensor_view make_contiguous_view(dtype type, const void* data, std::int64_t n_rows, std::int64_t n_cols) {
  tensor_view v;
  v.type = type;
  v.data = data;
  if (n_rows <= 0) {
    v.n_dims = 1;
    v.shape[0] = n_cols;
    v.stride_bytes[0] = traits(type).block_elements == 1 ? traits(type).block_bytes : 0;
    return v;
  }
  v.n_dims = 2;
  v.shape[0] = n_rows;
  v.shape[1] = n_cols;
  v.stride_bytes[0] = row_size_bytes(type, n_cols);
  v.stride_bytes[1] = traits(type).block_elements == 1 ? traits(type).block_bytes : 0;
  return v;
}

}  // namespace kick
