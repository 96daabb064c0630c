// A linear layer's weight packed for the GPU in its own format (dense f32/f16/bf16/q8_0, N:M and
// bitmap sparse, group-quantized, NF4, int8 with outliers), never densified on the host. The
// rows are split into parts whose every array fits one storage-buffer binding; each part is a
// standalone sub-matrix that the shaders (shaders/include/formats/*.glsl) decode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kick/backend.h"
#include "kick/status.h"
#include "vk_memory.h"

namespace kick::vk {

// How nm/bitmap values are stored on the device: stored (the layout's own type: f16 for f16 values,
// f32 for f32 and bf16 ones; exact), or f32 / f16 whatever the layout holds (f16 rounds f32 values).
enum class sparse_storage { stored, f32, f16 };

struct upload_options {
  std::uint64_t max_binding_bytes = 0;  // largest array of one part; 0 = the device's maxStorageBufferRange
  sparse_storage values = sparse_storage::stored;
};

// The device formats; each has shaders matvec_<name>, matmul_<name>, embed_<name>.
enum class linear_format { f32, f16, bf16, q8_0, nm, bitmap, gq, nf4, int8o };
const char* shader_suffix(linear_format f);

// One row range [row0, row0 + n_rows) of the weight, with its arrays in binding order.
struct linear_part {
  std::int64_t row0 = 0;
  std::int64_t n_rows = 0;
  std::vector<buffer_range> arrays;
  std::uint32_t row_words = 0;    // push/linear.h fields that differ between parts
  std::uint32_t aux_stride = 0;
  std::uint32_t flat_offset = 0;
};

// What the shaders of a format need beyond the parts (push constants and specialization).
struct linear_params {
  linear_format format = linear_format::f32;
  std::uint32_t format_param = 0;  // specialization: nm: n | m << 8; gq: bits | flags << 8; nf4: flags
  bool values_f16 = false;
  std::uint32_t group_size = 0;    // gq group size, nf4 block size
};

class device_linear {
 public:
  // Packs and uploads a dense 2-D tensor (f32/f16/bf16/q8_0) or a compressed weight (checked by
  // kick::check_layout first). Errors name `what`.
  static result<device_linear> upload(memory_pool& pool, const linear_weight& weight, const upload_options& options,
                                      const std::string& what);

  std::int64_t n_rows() const { return n_rows_; }
  std::int64_t n_cols() const { return n_cols_; }
  std::uint64_t bytes() const { return bytes_; }  // device bytes of all arrays (what a matvec reads)
  std::string format_name() const { return name_; }  // e.g. "nm 2:4 f32 values", "gq int4 g128", "f16"
  std::size_t n_parts() const { return parts_.size(); }
  const std::vector<linear_part>& parts() const { return parts_; }
  const linear_params& params() const { return params_; }
  const std::string& what() const { return what_; }

 private:
  std::int64_t n_rows_ = 0;
  std::int64_t n_cols_ = 0;
  std::uint64_t bytes_ = 0;
  std::string name_;
  std::string what_;
  linear_params params_;
  std::vector<linear_part> parts_;
};

}  // namespace kick::vk
