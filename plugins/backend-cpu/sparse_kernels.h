// Internal to linear_nm / linear_bitmap: the forms the sparse kernels read and the kernel
// tables per instruction set. Row ranges [r0, r1), at most k_sparse_max_tokens tokens per call.
#pragma once

#include <cstdint>
#include <cstring>

#include "kick/convert.h"

namespace kick::cpu::sparse {

// Tokens one kernel call multiplies; matvec splits more into groups of this many.
constexpr std::int64_t k_max_tokens = 7;

// An N:M layout with 2n = m <= 16 as the kernels read it: every 32 columns of a row hold exactly 16 values
// (lane k of a 16-lane register is the value of group k / n). Each 32-column block has one word
// of 2 * field_bits bytes with each lane's index in its group; lane k's index is bits
// [lane_shift[k], + field_bits) of the little-endian word, read as a 32-bit word except for
// field_bits = 4, where lane k reads 32-bit half (k & 1) of the 64-bit word. Lane k's column in
// the block is lane_base[k] + index (the OR of the two: lane_base is a multiple of m).
// A row's last block may be partial (n_cols % 32 columns, n_cols % 32 / 2 values); its unused
// lanes' bits are not read. For 1:2 and 2:4 this is the layout's own packing (kick/formats.h),
// so the layout's indices are used in place when n_cols is a multiple of 32; 4:8 and 8:16 (and
// other widths) are repacked. Values are the layout's in place, or a converted copy.
struct nm_rows {
  std::int32_t m = 4;
  std::int32_t field_bits = 2;               // 1, 2 or 4
  bool f16 = false;                          // values are f16 (else f32)
  const void* values = nullptr;              // [n_rows, n_cols / 2]
  const std::uint8_t* fields = nullptr;      // [n_rows, field_bytes_per_row]
  std::int64_t n_cols = 0;
  std::int64_t field_bytes_per_row = 0;      // ceil(n_cols / 32) * 2 * field_bits
  std::int32_t lane_base[16] = {};
  std::int32_t lane_shift[16] = {};
  std::int64_t values_per_row() const { return n_cols / 2; }
  float value(std::int64_t r, std::int64_t i) const {
    const std::int64_t at = r * values_per_row() + i;
    return f16 ? f16_to_f32(static_cast<const std::uint16_t*>(values)[at]) : static_cast<const float*>(values)[at];
  }
  // The word of block b of row r (2 * field_bits bytes, zero-extended).
  std::uint64_t word(std::int64_t r, std::int64_t b) const {
    std::uint64_t v = 0;
    std::memcpy(&v, fields + r * field_bytes_per_row + b * 2 * field_bits, static_cast<std::size_t>(2 * field_bits));
    return v;
  }
  // Column within its 32-column block of lane k of block b of row r.
  std::int32_t column(std::int64_t r, std::int64_t b, int k) const {
    const std::uint64_t w = word(r, b);
    const std::uint64_t half = field_bits == 4 ? (w >> (32 * (k & 1))) : w;
    return lane_base[k] | static_cast<std::int32_t>((half >> lane_shift[k]) & ((1u << field_bits) - 1u));
  }
  // sum over the values of row r's partial last block of value * x[column] (0 without one).
  float tail_dot(std::int64_t r, const float* x) const {
    const std::int64_t b = n_cols / 32;
    float sum = 0.0f;
    for (std::int64_t k = 0; k < n_cols % 32 / 2; ++k) sum += value(r, 16 * b + k) * x[32 * b + column(r, b, static_cast<int>(k))];
    return sum;
  }
};

// A bitmap layout as the kernels read it: the layout's bitmap and row offsets, values f32 or f16
// (the layout's own, or a converted copy). Kernels load a register of values past a row's last
// one (inside the next row's) except within 16 values of the end of `values`.
struct bitmap_rows {
  bool f16 = false;
  const void* values = nullptr;                // [n_values]
  std::int64_t n_values = 0;
  const std::uint64_t* bitmap = nullptr;       // [n_rows, words_per_row]
  std::int64_t words_per_row = 0;
  const std::int64_t* row_offsets = nullptr;   // [n_rows + 1]
  std::int64_t n_cols = 0;

  float value(std::int64_t i) const {
    return f16 ? f16_to_f32(static_cast<const std::uint16_t*>(values)[i]) : static_cast<const float*>(values)[i];
  }
  bool bit(std::int64_t r, std::int64_t c) const { return (bitmap[r * words_per_row + c / 64] >> (c % 64)) & 1u; }
  // sum over row r's non-zeros in columns [c0, n_cols) of value * x[c]; `next` is the index of
  // the first value at or after c0.
  float tail_dot(std::int64_t r, std::int64_t c0, std::int64_t next, const float* x) const {
    float sum = 0.0f;
    for (std::int64_t c = c0; c < n_cols; ++c)
      if (bit(r, c)) sum += value(next++) * x[c];
    return sum;
  }
};

// y[t * ldy + r] = sum_c W[r][c] * x[t * n_cols + c] for r in [r0, r1), t < n_tokens <= k_max_tokens.
using nm_matvec_fn = void (*)(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                              std::int64_t ldy);
// out[(r - r0) * n_cols + c] = W[r][c] for r in [r0, r1).
using nm_decode_fn = void (*)(const nm_rows& w, std::int64_t r0, std::int64_t r1, float* out);
using bitmap_matvec_fn = void (*)(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens,
                                  float* y, std::int64_t ldy);
using bitmap_decode_fn = void (*)(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, float* out);

struct nm_kernels {
  nm_matvec_fn matvec = nullptr;
  nm_decode_fn decode = nullptr;
};
struct bitmap_kernels {
  bitmap_matvec_fn matvec = nullptr;
  bitmap_decode_fn decode = nullptr;
};

// Per instruction set; the x86 ones are nullptr when not compiled for x86-64 (callers pick them
// only for a kernel_set of that isa, which find_kernels hands out only when the CPU has it).
nm_kernels nm_generic();
const nm_kernels* nm_avx512();
const nm_kernels* nm_avx2();
const nm_kernels* nm_avx512_pairs();  // 2:4 (field_bits 2 only): 2-7 tokens two rows at a time, one token nm_avx512
bitmap_kernels bitmap_generic();
const bitmap_kernels* bitmap_avx512();
const bitmap_kernels* bitmap_avx512_vpopcntdq();  // what bitmap_avx512 is without AVX512_BW/VL/BITALG
const bitmap_kernels* bitmap_avx2();

}  // namespace kick::cpu::sparse
