// Native kernels of the sparse layouts (kick/formats.h nm_sparse_layout and bitmap_sparse_layout):
// matrix-vector products that decode one vector register of weights at a time and never build a
// dense row, for AVX-512, AVX2 and portable code (`omp simd`), chosen by kernel_set::isa.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compressed_linear.h"

namespace kick::cpu {

// The values a sparse kernel reads: the layout's own (f32 or f16) in place when that is the type
// `wanted` asks for (sparse_value_type::stored: whatever the layout holds, bf16 as f32), else a
// copy converted to it. `values` must outlive this.
class held_values {
 public:
  held_values(const sparse_values& values, sparse_value_type wanted);
  const void* data() const { return data_; }
  bool f16() const { return f16_; }
  bool converted() const { return converted_; }

 private:
  const void* data_ = nullptr;
  bool f16_ = false;
  bool converted_ = false;
  std::vector<std::uint16_t> copy_f16_;
  std::vector<float> copy_f32_;
};


// N:M patterns with 2n = m and m in {2, 4, 8, 16} (1:2, 2:4, 4:8, 8:16): values as chosen plus the
// index of each value in its group at 1, 2 or 4 bits, a row of 32 columns at a time (see
// sparse::nm_rows: the layout's own fields for 1:2 and 2:4; 2:4 on AVX-512 multiplies two rows
// at a time). Other patterns return nullptr (the caller uses the generic implementation).
// `w` holds an nm_sparse_layout that passed kick::check_layout and outlives the result.
std::unique_ptr<compressed_linear> make_nm_linear(const compressed_weight& w, const kernel_set& kernels,
                                                  sparse_value_type values = sparse_value_type::stored);

// Any bitmap layout: the layout's bitmap and row offsets in place, the values as chosen. Each
// 16 (AVX-512) or 8 (AVX2) columns expand their non-zeros into a register by the bitmap's mask.
// `w` holds a bitmap_sparse_layout that passed kick::check_layout and outlives the result.
std::unique_ptr<compressed_linear> make_bitmap_linear(const compressed_weight& w, const kernel_set& kernels,
                                                      sparse_value_type values = sparse_value_type::stored);

// The same on the AVX-512F + AVX512_VPOPCNTDQ kernels that CPUs without AVX512_BW/VL/BITALG run
// (nullptr where this CPU lacks those two), so that tests cover them on any AVX-512 machine.
std::unique_ptr<compressed_linear> make_bitmap_linear_vpopcntdq(const compressed_weight& w, sparse_value_type values);

}  // namespace kick::cpu
