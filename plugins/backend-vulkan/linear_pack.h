// Host-side packing of a linear weight into the device arrays of its format, one row range at a
// time (see shaders/include/formats/*.glsl for what each array holds).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device_linear.h"
#include "kick/backend.h"
#include "kick/status.h"

namespace kick::vk {

// Rows [row0, row1) of a weight as the 32-bit-word arrays one part binds, in binding order. An
// absent optional array is one zero word.
struct packed_part {
  std::vector<std::vector<std::uint32_t>> arrays;
  std::uint32_t row_words = 0;
  std::uint32_t aux_stride = 0;
  std::uint32_t flat_offset = 0;
};

class linear_packer {
 public:
  virtual ~linear_packer() = default;
  virtual linear_params params() const = 0;
  virtual std::string name() const = 0;  // "f16", "nm 2:4 f32 values", ...
  // Bytes of each array pack(row0, row1) returns, without packing.
  virtual std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const = 0;
  virtual packed_part pack(std::int64_t row0, std::int64_t row1) const = 0;
};

// Columns rounded up to a whole 8-column block (the unit every shader decodes).
inline std::int64_t padded_cols(std::int64_t n_cols) { return (n_cols + 7) / 8 * 8; }

// The packer of a dense tensor view (f32, f16, bf16, q8_0; 1-D or 2-D).
result<std::unique_ptr<linear_packer>> make_dense_packer(const tensor_view& view, const std::string& what);
// The packer of a checked sparse layout (nm, bitmap) of `w`; the weight must outlive it.
result<std::unique_ptr<linear_packer>> make_sparse_packer(const compressed_weight& w, sparse_storage values, const std::string& what);
// The packer of a checked quantized layout (gq, nf4, int8o) of `w`; the weight must outlive it.
result<std::unique_ptr<linear_packer>> make_quant_packer(const compressed_weight& w, const std::string& what);

}  // namespace kick::vk
