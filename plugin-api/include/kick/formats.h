// kick plugin API: compressed linear layers as explicit storage formats.
//
// A compressed layer W [n_rows = n_out, n_cols = n_in] is one of the layouts below. Methods build
// them (kick/format_codec.h has encoders), the host saves and reloads them (safetensors), and
// backends execute them. Every layout has one meaning, written next to it as the value of W[r][c].
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "kick/convert.h"

namespace kick {

// A dense, writable f32 matrix [n_rows = n_out, n_cols = n_in], rows row_stride floats apart.
struct matrix_f32 {
  float* data = nullptr;
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  std::int64_t row_stride = 0;
  float* row(std::int64_t i) const { return data + i * row_stride; }
};

// Plain f32 values. A method returning it means "the matrix I wrote in place"; in a saved model
// and in a model_view the values are an ordinary f32 tensor.
struct dense_layout {};

// How a sparse layout stores its values. The host stores the layers of a 16-bit model (f16 or
// bf16) in that precision, so that a sparse layer is smaller than the dense one it replaces;
// methods always see and build f32 values (encode_nm / encode_bitmap), the host rounds them
// after the method (round to nearest even, as the reference implementations do when they write
// a pruned f32 result back into a half-precision layer).
enum class value_type : std::uint8_t { f32, f16, bf16 };

inline const char* value_type_name(value_type t) { return t == value_type::f32 ? "f32" : t == value_type::f16 ? "f16" : "bf16"; }

// The values of a sparse layout: f32 in `f32`, or f16 / bf16 bit patterns in `bits16`. Reading
// one with [] gives its f32 value, which is exactly what a backend multiplies.
struct sparse_values {
  value_type type = value_type::f32;
  std::vector<float> f32;              // when type == f32
  std::vector<std::uint16_t> bits16;   // when type == f16 or bf16

  std::size_t size() const { return type == value_type::f32 ? f32.size() : bits16.size(); }
  bool empty() const { return size() == 0; }
  std::size_t bytes_per_value() const { return type == value_type::f32 ? 4 : 2; }
  float operator[](std::size_t i) const {
    if (type == value_type::f32) return f32[i];
    return type == value_type::f16 ? f16_to_f32(bits16[i]) : bf16_to_f32(bits16[i]);
  }
  // Appends v, rounded to `type`.
  void push_back(float v) {
    if (type == value_type::f32) f32.push_back(v);
    else bits16.push_back(to_bits16(v, type));
  }
  void reserve(std::size_t n) {
    if (type == value_type::f32) f32.reserve(n);
    else bits16.reserve(n);
  }
  // Converts every value to `to` (rounding to nearest even when narrowing; f16 <-> bf16 goes
  // through f32). A no-op when the type is already `to`.
  void convert_to(value_type to) {
    if (to == type) return;
    sparse_values out;
    out.type = to;
    const std::size_t n = size();
    if (to == value_type::f32) {
      out.f32.resize(n);
      for (std::size_t i = 0; i < n; ++i) out.f32[i] = (*this)[i];
    } else {
      out.bits16.resize(n);
      for (std::size_t i = 0; i < n; ++i) out.bits16[i] = to_bits16((*this)[i], to);
    }
    *this = std::move(out);
  }

 private:
  // v rounded to the 16-bit type `t` (f16 or bf16), nearest even.
  static std::uint16_t to_bits16(float v, value_type t) { return t == value_type::f16 ? f32_to_f16(v) : f32_to_bf16(v); }
};

// Bits of one N:M index field: the narrowest power of two that holds an index in [0, m), so that
// fields never straddle a byte: m <= 2: 1, m <= 4: 2, m <= 16: 4, else 8.
inline constexpr int nm_index_bits(std::int32_t m) { return m <= 2 ? 1 : m <= 4 ? 2 : m <= 16 ? 4 : 8; }

// N:M semi-structured sparsity: in every group of m consecutive columns of a row at most n values
// are non-zero. Per row, n_cols/m groups, each storing exactly n (value, index-in-group) pairs in
// ascending index order (a group with fewer non-zeros stores zeros at its lowest free indices).
// The kept values of row r are values[r*K .. r*K + K), K = n_cols/m*n, group g's at g*n .. g*n+n.
// Their indices are packed nm_index_bits(m) bits each, little-endian, every row starting on a new
// byte (nm_index_bytes_per_row in kick/format_codec.h): index of kept value k of row r = bits
// [k*b, k*b + b) of the bytes indices[r*B ..], b = nm_index_bits(m), B = ceil(K*b / 8). For 2:4 that
// is 2 bits per kept value, the 16 values of 32 columns in one little-endian 32-bit word, 9 bits
// per weight with f16 values.
// W[r][g*m + index(r, g*n + k)] = values[r*K + g*n + k] for k < n, other entries 0.
struct nm_sparse_layout {
  std::int32_t n = 2;
  std::int32_t m = 4;
  sparse_values values;               // [n_rows, n_cols / m * n]
  std::vector<std::uint8_t> indices;  // [n_rows, nm_index_bytes_per_row], packed as above
};

// Unstructured sparsity: a bitmap of non-zeros plus the non-zero values in row-major order.
// Bit (c % 64) of bitmap[r * words_per_row + c / 64] is set iff W[r][c] != 0 (a value that became
// 0 when rounded to 16 bits keeps its bit); W's non-zeros of row r are values[row_offsets[r] .. row_offsets[r+1]) in column order.
struct bitmap_sparse_layout {
  std::int64_t words_per_row = 0;       // ceil(n_cols / 64)
  std::vector<std::uint64_t> bitmap;    // [n_rows, words_per_row]
  sparse_values values;                 // [nnz]
  std::vector<std::int64_t> row_offsets;  // [n_rows + 1]
};

// Group-wise integer quantization (GPTQ, RTN, AWQ, SparseGPT+quantization).
// Codes q in [0, 2^bits) packed little-endian into 32-bit words, each row starting on a new word:
// code of column c of row r = bits [(c*bits) % 32 ...] of packed[r*words_per_row + (c*bits)/32],
// continuing into the next word when a code straddles a word boundary.
// g = g_idx.empty() ? c / group_size : g_idx[c];  n_groups = number of distinct g (scales' width).
// W[r][c] = scales[r*n_groups + g] * (q - zeros[r*n_groups + g]) / (input_scale.empty() ? 1 : input_scale[c])
// `zeros` are in code units and may be fractional (GPTQ's symmetric grid uses 2^(bits-1) exactly;
// a value of 0 is represented exactly when the zero is an integer).
struct group_quant_layout {
  std::int32_t bits = 4;               // 2..8 (16 is kept dense by the methods)
  std::int64_t group_size = 0;         // columns per group; n_cols for one group per row
  bool symmetric = false;              // how the grid was chosen (informational; zeros say it all)
  std::int64_t words_per_row = 0;      // ceil(n_cols * bits / 32)
  std::int64_t n_groups = 0;
  std::vector<std::uint32_t> packed;   // [n_rows, words_per_row]
  std::vector<float> scales;           // [n_rows, n_groups]
  std::vector<float> zeros;            // [n_rows, n_groups]
  std::vector<std::int32_t> g_idx;     // [n_cols] or empty: group of each column (act-order)
  std::vector<float> input_scale;      // [n_cols] or empty: AWQ's per-input-channel scale s
};

// NF4 (QLoRA): 4-bit codes into the fixed NF4 table, blockwise absmax over blocks of block_size
// consecutive elements of the row-major flattened matrix (the last block may be partial).
// Two codes per byte, the element with the even flat index in the high nibble.
// W[flat i] = k_nf4_table[code(i)] * absmax[i / block_size]
// With double quantization the absmax values are stored as 8-bit codes into the signed dynamic
// map, in blocks of absmax_block_size, plus an offset: absmax[b] = dynamic_map[absmax_codes[b]] *
// absmax2[b / absmax_block_size] + absmax_offset. `absmax` always holds the decoded values.
struct nf4_layout {
  std::int64_t block_size = 64;
  std::vector<std::uint8_t> codes;     // [ceil(n_rows * n_cols / 2)]
  std::vector<float> absmax;           // [n_blocks] decoded
  bool double_quant = false;
  std::int64_t absmax_block_size = 256;
  std::vector<std::uint8_t> absmax_codes;  // [n_blocks] when double_quant
  std::vector<float> absmax2;              // [ceil(n_blocks / absmax_block_size)] when double_quant
  float absmax_offset = 0.0f;
};

// LLM.int8()-style: vector-wise int8 with a few input columns kept in floating point.
// W[r][c] = outlier_values[r * n_outliers + k] if c == outlier_cols[k], else q[r*n_cols + c] * row_scale[r]
// (row_scale = absmax_row / 127). Columns in outlier_cols hold q = 0.
struct int8_outlier_layout {
  std::vector<std::int8_t> q;             // [n_rows, n_cols]
  std::vector<float> row_scale;           // [n_rows]
  std::vector<std::int32_t> outlier_cols;  // [n_outliers], ascending
  std::vector<float> outlier_values;      // [n_rows, n_outliers]
};

using weight_layout =
    std::variant<dense_layout, nm_sparse_layout, bitmap_sparse_layout, group_quant_layout, nf4_layout, int8_outlier_layout>;

// A compressed layer: its shape and layout.
struct compressed_weight {
  std::int64_t n_rows = 0;
  std::int64_t n_cols = 0;
  weight_layout layout;
};

// The NF4 code table (bitsandbytes get_4bit_type("nf4")), index = 4-bit code.
inline constexpr float k_nf4_table[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
    -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
    0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

}  // namespace kick
