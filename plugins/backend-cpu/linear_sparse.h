// Native kernels of the sparse layouts (kick/formats.h nm_sparse_layout and bitmap_sparse_layout):
// matrix-vector products that decode one vector register of weights at a time and never build a
// dense row, for AVX-512, AVX2 and portable code (`omp simd`), chosen by kernel_set::isa.
#pragma once

#include <memory>

#include "compressed_linear.h"

namespace kick::cpu {


// N:M patterns with 2n = m and m in {2, 4, 8, 16} (1:2, 2:4, 4:8, 8:16): values as chosen plus the
// index of each value in its group repacked at log2(m) bits (4 bits for m = 8), a row of 32
// columns at a time (2:4 with f16 values on AVX-512: two rows per 16 columns, see
// sparse::nm_rows). Other patterns return nullptr (the caller uses the generic implementation).
// `w` holds an nm_sparse_layout that passed kick::check_layout and outlives the result.
std::unique_ptr<compressed_linear> make_nm_linear(const compressed_weight& w, const kernel_set& kernels,
                                                  sparse_value_type values = sparse_value_type::f32);

// Any bitmap layout: the layout's bitmap and row offsets in place, the values as chosen. Each
// 16 (AVX-512) or 8 (AVX2) columns expand their non-zeros into a register by the bitmap's mask.
// `w` holds a bitmap_sparse_layout that passed kick::check_layout and outlives the result.
std::unique_ptr<compressed_linear> make_bitmap_linear(const compressed_weight& w, const kernel_set& kernels,
                                                      sparse_value_type values = sparse_value_type::f32);

// The same on the AVX-512F + AVX512_VPOPCNTDQ kernels that CPUs without AVX512_BW/VL/BITALG run
// (nullptr where this CPU lacks those two), so that tests cover them on any AVX-512 machine.
std::unique_ptr<compressed_linear> make_bitmap_linear_vpopcntdq(const compressed_weight& w, sparse_value_type values);

}  // namespace kick::cpu
