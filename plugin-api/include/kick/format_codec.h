// kick plugin API: encoding, checking and decoding the layouts of kick/formats.h.
// Header-only so methods, backends, the host and tests share one definition of each layout.
#pragma once

#include <array>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string_view>
#include <string>
#include <type_traits>
#include <utility>

#include "kick/formats.h"
#include "kick/status.h"

namespace kick {

inline const char* layout_name(const weight_layout& layout) {
  static constexpr const char* names[] = {"dense", "sparse-nm", "sparse-bitmap", "quant-group", "nf4", "int8-outlier"};
  return names[layout.index()];
}

// ---- group-quantized codes --------------------------------------------------------------------

inline std::int64_t quant_words_per_row(std::int64_t n_cols, std::int32_t bits) {
  return (n_cols * bits + 31) / 32;
}

inline std::uint32_t quant_code(const group_quant_layout& q, std::int64_t row, std::int64_t col) {
  const std::uint32_t* words = q.packed.data() + row * q.words_per_row;
  const std::int64_t bit = col * q.bits;
  const std::uint64_t lo = words[bit / 32];
  const std::uint64_t hi = (bit % 32) + q.bits > 32 ? words[bit / 32 + 1] : 0;
  const std::uint64_t both = lo | (hi << 32);
  return static_cast<std::uint32_t>((both >> (bit % 32)) & ((1u << q.bits) - 1u));
}

// Writes a code into zero-initialised storage (q.packed sized n_rows * words_per_row).
inline void set_quant_code(group_quant_layout& q, std::int64_t row, std::int64_t col, std::uint32_t code) {
  std::uint32_t* words = q.packed.data() + row * q.words_per_row;
  const std::int64_t bit = col * q.bits;
  const std::uint64_t shifted = static_cast<std::uint64_t>(code) << (bit % 32);
  words[bit / 32] |= static_cast<std::uint32_t>(shifted);
  if ((bit % 32) + q.bits > 32) words[bit / 32 + 1] |= static_cast<std::uint32_t>(shifted >> 32);
}

inline std::int64_t quant_group_of(const group_quant_layout& q, std::int64_t col) {
  return q.g_idx.empty() ? col / q.group_size : q.g_idx[static_cast<std::size_t>(col)];
}

// ---- N:M index fields --------------------------------------------------------------------------

// Bytes of one row's packed index fields (kick/formats.h nm_sparse_layout).
inline std::int64_t nm_index_bytes_per_row(const nm_sparse_layout& l, std::int64_t n_cols) {
  return (n_cols / l.m * l.n * nm_index_bits(l.m) + 7) / 8;
}

// Kept value k's index in its group, from the row's packed fields `row` (b = nm_index_bits(m)).
inline std::uint32_t nm_index_in_row(const std::uint8_t* row, int bits, std::int64_t k) {
  return (row[k * bits / 8] >> (k * bits % 8)) & ((1u << bits) - 1u);
}

// The index in its group of kept value k of row r.
inline std::uint32_t nm_index(const nm_sparse_layout& l, std::int64_t n_cols, std::int64_t r, std::int64_t k) {
  return nm_index_in_row(l.indices.data() + r * nm_index_bytes_per_row(l, n_cols), nm_index_bits(l.m), k);
}

// Writes an index into zero-initialised fields (l.indices sized n_rows * nm_index_bytes_per_row).
inline void set_nm_index(nm_sparse_layout& l, std::int64_t n_cols, std::int64_t r, std::int64_t k, std::uint32_t index) {
  const int bits = nm_index_bits(l.m);
  l.indices[static_cast<std::size_t>(r * nm_index_bytes_per_row(l, n_cols) + k * bits / 8)] |=
      static_cast<std::uint8_t>(index << (k * bits % 8));
}

// ---- NF4 ----------------------------------------------------------------------------------------

// The nearest NF4 code of a value already scaled into [-1, 1]; a value exactly on a midpoint goes
// to the lower code (as bitsandbytes' bucketize and CUDA decision tree do).
inline std::uint8_t nf4_code(float scaled) {
  std::uint8_t code = 0;
  for (std::uint8_t k = 0; k < 15; ++k) {
    const float midpoint = (k_nf4_table[k] + k_nf4_table[k + 1]) * 0.5f;
    if (scaled > midpoint) code = static_cast<std::uint8_t>(k + 1);
  }
  return code;
}

inline std::uint8_t nf4_code_at(const nf4_layout& l, std::int64_t flat) {
  const std::uint8_t byte = l.codes[static_cast<std::size_t>(flat / 2)];
  return flat % 2 == 0 ? static_cast<std::uint8_t>(byte >> 4) : static_cast<std::uint8_t>(byte & 0x0f);
}

// ---- checking -----------------------------------------------------------------------------------

namespace detail {
// A tiny "{}" formatter, so that the API headers need nothing beyond the standard library.
inline void format_into(std::ostringstream& out, std::string_view text) { out << text; }
template <class First, class... Rest>
void format_into(std::ostringstream& out, std::string_view text, const First& first, const Rest&... rest) {
  const std::size_t at = text.find("{}");
  if (at == std::string_view::npos) {
    out << text;
    return;
  }
  out << text.substr(0, at) << first;
  format_into(out, text.substr(at + 2), rest...);
}
template <class... Args>
std::string format(std::string_view text, const Args&... args) {
  std::ostringstream out;
  format_into(out, text, args...);
  return out.str();
}

inline status size_is(const char* what, std::size_t actual, std::int64_t expected) {
  if (static_cast<std::int64_t>(actual) == expected) return {};
  return fail(status_code::invalid_argument, detail::format("{} has {} entries, expected {}", what, actual, expected));
}
}  // namespace detail

// Checks that every array of `w` has the size its shape and parameters imply and that every
// index is in range. Decoding a layout that passed is memory-safe.
inline status check_layout(const compressed_weight& w) {
  const std::int64_t rows = w.n_rows, cols = w.n_cols;
  if (rows <= 0 || cols <= 0) return fail(status_code::invalid_argument, detail::format("bad shape [{}, {}]", rows, cols));
  return std::visit(
      [&](const auto& l) -> status {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, dense_layout>) {
          return {};
        } else if constexpr (std::is_same_v<L, nm_sparse_layout>) {
          if (l.m < 1 || l.m > 255 || l.n < 0 || l.n > l.m)
            return fail(status_code::invalid_argument, detail::format("bad N:M pattern {}:{}", l.n, l.m));
          if (cols % l.m != 0)
            return fail(status_code::invalid_argument, detail::format("{} columns are not a multiple of M = {}", cols, l.m));
          const std::int64_t per_row = cols / l.m * l.n;
          if (status s = detail::size_is("values", l.values.size(), rows * per_row); !s.ok()) return s;
          if (status s = detail::size_is("indices", l.indices.size(), rows * nm_index_bytes_per_row(l, cols)); !s.ok()) return s;
          const int bits = nm_index_bits(l.m);
          const std::int64_t row_bytes = nm_index_bytes_per_row(l, cols);
          // Kept values [k0, per_row) of a row: indices below M and rising within each group.
          const auto check_from = [&](const std::uint8_t* row, std::int64_t r, std::int64_t k0) -> status {
            std::uint32_t previous = 0;
            std::int64_t in_group = l.n > 0 ? k0 % l.n : 0;
            for (std::int64_t k = k0; k < per_row; ++k, in_group = in_group + 1 == l.n ? 0 : in_group + 1) {
              const std::uint32_t index = nm_index_in_row(row, bits, k);
              if (index >= static_cast<std::uint32_t>(l.m) || (in_group > 0 && index <= previous))
                return fail(status_code::invalid_argument,
                            detail::format("row {}: index {} of kept value {} is out of order or >= M", r, index, k));
              previous = index;
            }
            return {};
          };
          // Patterns whose groups fill bytes (1:2, 2:4: n * bits divides 8) check whole bytes against
          // a table of the bytes whose groups pass (loading a 7B 2:4 model checks 3.4 G indices).
          const int group_bits = l.n * bits;
          const bool by_bytes = l.n > 0 && 8 % group_bits == 0;
          const std::int64_t whole_bytes = by_bytes ? per_row * bits / 8 : 0;
          std::array<bool, 256> byte_passes{};
          for (int b = 0; by_bytes && b < 256; ++b) {
            const auto byte = static_cast<std::uint8_t>(b);
            byte_passes[static_cast<std::size_t>(b)] = true;
            for (std::int64_t k = 0, in_group = 0; k < 8 / bits; ++k, in_group = in_group + 1 == l.n ? 0 : in_group + 1) {
              const std::uint32_t index = nm_index_in_row(&byte, bits, k);
              const std::uint32_t previous = in_group > 0 ? nm_index_in_row(&byte, bits, k - 1) : 0;
              if (index >= static_cast<std::uint32_t>(l.m) || (in_group > 0 && index <= previous))
                byte_passes[static_cast<std::size_t>(b)] = false;
            }
          }
          for (std::int64_t r = 0; r < rows; ++r) {
            const std::uint8_t* row = l.indices.data() + r * row_bytes;
            std::int64_t i = 0;
            while (i < whole_bytes && byte_passes[row[i]]) ++i;
            // From the first byte that fails (its message names the value), or the values past the whole bytes.
            if (status s = check_from(row, r, i * 8 / bits); !s.ok()) return s;
          }
          return {};
        } else if constexpr (std::is_same_v<L, bitmap_sparse_layout>) {
          if (l.words_per_row != (cols + 63) / 64) return fail(status_code::invalid_argument, "words_per_row does not match the columns");
          if (status s = detail::size_is("bitmap", l.bitmap.size(), rows * l.words_per_row); !s.ok()) return s;
          if (status s = detail::size_is("row_offsets", l.row_offsets.size(), rows + 1); !s.ok()) return s;
          if (l.row_offsets[0] != 0) return fail(status_code::invalid_argument, "row_offsets[0] is not 0");
          for (std::int64_t r = 0; r < rows; ++r) {
            std::int64_t count = 0;
            for (std::int64_t k = 0; k < l.words_per_row; ++k) {
              const std::uint64_t word = l.bitmap[static_cast<std::size_t>(r * l.words_per_row + k)];
              if (k == l.words_per_row - 1 && cols % 64 != 0 && (word >> (cols % 64)) != 0)
                return fail(status_code::invalid_argument, detail::format("row {} has bits set past column {}", r, cols - 1));
              count += __builtin_popcountll(word);
            }
            if (l.row_offsets[static_cast<std::size_t>(r + 1)] - l.row_offsets[static_cast<std::size_t>(r)] != count)
              return fail(status_code::invalid_argument, detail::format("row {} has {} bits set but {} values", r, count,
                                                                     l.row_offsets[static_cast<std::size_t>(r + 1)] - l.row_offsets[static_cast<std::size_t>(r)]));
          }
          return detail::size_is("values", l.values.size(), l.row_offsets.back());
        } else if constexpr (std::is_same_v<L, group_quant_layout>) {
          if (l.bits < 1 || l.bits > 16) return fail(status_code::invalid_argument, detail::format("bits {} outside [1, 16]", l.bits));
          if (l.group_size <= 0) return fail(status_code::invalid_argument, detail::format("group_size {} is not positive", l.group_size));
          if (l.words_per_row != quant_words_per_row(cols, l.bits)) return fail(status_code::invalid_argument, "words_per_row does not match bits and columns");
          const std::int64_t expected_groups = l.g_idx.empty() ? (cols + l.group_size - 1) / l.group_size : l.n_groups;
          if (l.n_groups != expected_groups || l.n_groups <= 0)
            return fail(status_code::invalid_argument, detail::format("n_groups {} does not match group_size {}", l.n_groups, l.group_size));
          if (status s = detail::size_is("packed", l.packed.size(), rows * l.words_per_row); !s.ok()) return s;
          if (status s = detail::size_is("scales", l.scales.size(), rows * l.n_groups); !s.ok()) return s;
          if (status s = detail::size_is("zeros", l.zeros.size(), rows * l.n_groups); !s.ok()) return s;
          if (!l.g_idx.empty()) {
            if (status s = detail::size_is("g_idx", l.g_idx.size(), cols); !s.ok()) return s;
            for (std::int32_t g : l.g_idx)
              if (g < 0 || g >= l.n_groups) return fail(status_code::invalid_argument, detail::format("g_idx entry {} outside [0, {})", g, l.n_groups));
          }
          if (!l.input_scale.empty()) return detail::size_is("input_scale", l.input_scale.size(), cols);
          return {};
        } else if constexpr (std::is_same_v<L, nf4_layout>) {
          if (l.block_size <= 0) return fail(status_code::invalid_argument, "block_size is not positive");
          const std::int64_t n = rows * cols;
          if (status s = detail::size_is("codes", l.codes.size(), (n + 1) / 2); !s.ok()) return s;
          const std::int64_t blocks = (n + l.block_size - 1) / l.block_size;
          if (status s = detail::size_is("absmax", l.absmax.size(), blocks); !s.ok()) return s;
          if (l.double_quant) {
            if (l.absmax_block_size <= 0) return fail(status_code::invalid_argument, "absmax_block_size is not positive");
            if (status s = detail::size_is("absmax_codes", l.absmax_codes.size(), blocks); !s.ok()) return s;
            return detail::size_is("absmax2", l.absmax2.size(), (blocks + l.absmax_block_size - 1) / l.absmax_block_size);
          }
          return {};
        } else {
          if (status s = detail::size_is("q", l.q.size(), rows * cols); !s.ok()) return s;
          if (status s = detail::size_is("row_scale", l.row_scale.size(), rows); !s.ok()) return s;
          for (std::size_t k = 0; k < l.outlier_cols.size(); ++k)
            if (l.outlier_cols[k] < 0 || l.outlier_cols[k] >= cols || (k > 0 && l.outlier_cols[k] <= l.outlier_cols[k - 1]))
              return fail(status_code::invalid_argument, detail::format("outlier column {} is out of range or order", l.outlier_cols[k]));
          return detail::size_is("outlier_values", l.outlier_values.size(), rows * static_cast<std::int64_t>(l.outlier_cols.size()));
        }
      },
      w.layout);
}

// ---- decoding -----------------------------------------------------------------------------------

// Writes row `r` of the matrix a checked non-dense layout represents into out[0, n_cols).
inline void densify_row(const compressed_weight& w, std::int64_t r, float* out) {
  const std::int64_t cols = w.n_cols;
  std::visit(
      [&](const auto& l) {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, dense_layout>) {
          std::memset(out, 0, static_cast<std::size_t>(cols) * sizeof(float));
        } else if constexpr (std::is_same_v<L, nm_sparse_layout>) {
          std::memset(out, 0, static_cast<std::size_t>(cols) * sizeof(float));
          const std::int64_t groups = cols / l.m;
          const std::size_t base = static_cast<std::size_t>(r * groups * l.n);
          const std::uint8_t* row = l.indices.data() + r * nm_index_bytes_per_row(l, cols);
          const int bits = nm_index_bits(l.m);
          for (std::int64_t g = 0; g < groups; ++g)
            for (std::int32_t k = 0; k < l.n; ++k)
              out[g * l.m + nm_index_in_row(row, bits, g * l.n + k)] = l.values[base + static_cast<std::size_t>(g * l.n + k)];
        } else if constexpr (std::is_same_v<L, bitmap_sparse_layout>) {
          std::int64_t next = l.row_offsets[static_cast<std::size_t>(r)];
          for (std::int64_t c = 0; c < cols; ++c) {
            const std::uint64_t word = l.bitmap[static_cast<std::size_t>(r * l.words_per_row + c / 64)];
            out[c] = (word >> (c % 64)) & 1u ? l.values[static_cast<std::size_t>(next++)] : 0.0f;
          }
        } else if constexpr (std::is_same_v<L, group_quant_layout>) {
          for (std::int64_t c = 0; c < cols; ++c) {
            const std::size_t g = static_cast<std::size_t>(r * l.n_groups + quant_group_of(l, c));
            float v = l.scales[g] * (static_cast<float>(quant_code(l, r, c)) - l.zeros[g]);
            if (!l.input_scale.empty()) v /= l.input_scale[static_cast<std::size_t>(c)];
            out[c] = v;
          }
        } else if constexpr (std::is_same_v<L, nf4_layout>) {
          for (std::int64_t c = 0; c < cols; ++c) {
            const std::int64_t flat = r * cols + c;
            out[c] = k_nf4_table[nf4_code_at(l, flat)] * l.absmax[static_cast<std::size_t>(flat / l.block_size)];
          }
        } else {
          for (std::int64_t c = 0; c < cols; ++c)
            out[c] = static_cast<float>(l.q[static_cast<std::size_t>(r * cols + c)]) * l.row_scale[static_cast<std::size_t>(r)];
          const std::size_t n_out = l.outlier_cols.size();
          for (std::size_t k = 0; k < n_out; ++k)
            out[l.outlier_cols[k]] = l.outlier_values[static_cast<std::size_t>(r) * n_out + k];
        }
      },
      w.layout);
}

// Writes the whole matrix a checked non-dense layout represents into out[0, n_rows * n_cols).
inline void densify(const compressed_weight& w, float* out) {
  for (std::int64_t r = 0; r < w.n_rows; ++r) densify_row(w, r, out + r * w.n_cols);
}

// Bits of storage per weight, counting every array of the layout as stored (f32 values 32 bits,
// f16 / bf16 sparse values 16).
inline double storage_bits_per_weight(const compressed_weight& w) {
  const double n = static_cast<double>(w.n_rows) * static_cast<double>(w.n_cols);
  const double bytes = std::visit(
      [&](const auto& l) -> double {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, dense_layout>) return n * 4.0;
        else if constexpr (std::is_same_v<L, nm_sparse_layout>)
          return static_cast<double>(l.values.size() * l.values.bytes_per_value() + l.indices.size());
        else if constexpr (std::is_same_v<L, bitmap_sparse_layout>)
          return l.bitmap.size() * 8.0 + static_cast<double>(l.values.size() * l.values.bytes_per_value()) + l.row_offsets.size() * 8.0;
        else if constexpr (std::is_same_v<L, group_quant_layout>)
          return l.packed.size() * 4.0 + (l.scales.size() + l.zeros.size() + l.input_scale.size()) * 4.0 + l.g_idx.size() * 4.0;
        else if constexpr (std::is_same_v<L, nf4_layout>)
          return l.codes.size() + (l.double_quant ? l.absmax_codes.size() + l.absmax2.size() * 4.0 + 4.0 : l.absmax.size() * 4.0);
        else
          return l.q.size() + l.row_scale.size() * 4.0 + l.outlier_cols.size() * 4.0 + l.outlier_values.size() * 4.0;
      },
      w.layout);
  return n > 0 ? bytes * 8.0 / n : 0.0;
}

// ---- encoding of pruned matrices ---------------------------------------------------------------

// Packs a matrix whose every group of m consecutive columns has at most n non-zeros (f32 values).
inline result<nm_sparse_layout> encode_nm(const matrix_f32& w, std::int32_t n, std::int32_t m) {
  if (m < 1 || m > 255 || n < 0 || n > m) return fail(status_code::invalid_argument, detail::format("bad N:M pattern {}:{}", n, m));
  if (w.n_cols % m != 0)
    return fail(status_code::invalid_argument, detail::format("{} columns are not a multiple of M = {}", w.n_cols, m));
  nm_sparse_layout l;
  l.n = n;
  l.m = m;
  const std::size_t kept = static_cast<std::size_t>(w.n_rows * (w.n_cols / m) * n);
  l.values.reserve(kept);
  const std::int64_t row_bytes = nm_index_bytes_per_row(l, w.n_cols);
  const int bits = nm_index_bits(m);
  l.indices.assign(static_cast<std::size_t>(w.n_rows * row_bytes), 0);
  for (std::int64_t r = 0; r < w.n_rows; ++r) {
    const float* row = w.row(r);
    std::uint8_t* fields = l.indices.data() + r * row_bytes;
    std::int64_t k_row = 0;
    for (std::int64_t g = 0; g < w.n_cols / m; ++g) {
      const float* group = row + g * m;
      std::int32_t nonzero = 0;
      for (std::int32_t k = 0; k < m; ++k) nonzero += group[k] != 0.0f ? 1 : 0;
      if (nonzero > n)
        return fail(status_code::failed_precondition,
                    detail::format("row {} columns {}..{} hold {} non-zeros, more than N = {}", r, g * m, g * m + m - 1, nonzero, n));
      std::int32_t zeros_to_keep = n - nonzero;  // fill the pattern with the lowest zero positions
      for (std::int32_t k = 0; k < m; ++k) {
        const bool keep = group[k] != 0.0f || (zeros_to_keep > 0 && zeros_to_keep-- > 0);
        if (!keep) continue;
        l.values.push_back(group[k]);
        fields[k_row * bits / 8] |= static_cast<std::uint8_t>(k << (k_row * bits % 8));
        ++k_row;
      }
    }
  }
  return l;
}

// Packs any matrix as a bitmap of its non-zeros plus their (f32) values.
inline bitmap_sparse_layout encode_bitmap(const matrix_f32& w) {
  bitmap_sparse_layout l;
  l.words_per_row = (w.n_cols + 63) / 64;
  l.bitmap.assign(static_cast<std::size_t>(w.n_rows * l.words_per_row), 0);
  l.row_offsets.reserve(static_cast<std::size_t>(w.n_rows + 1));
  l.row_offsets.push_back(0);
  for (std::int64_t r = 0; r < w.n_rows; ++r) {
    const float* row = w.row(r);
    for (std::int64_t c = 0; c < w.n_cols; ++c) {
      if (row[c] == 0.0f) continue;
      l.bitmap[static_cast<std::size_t>(r * l.words_per_row + c / 64)] |= 1ull << (c % 64);
      l.values.push_back(row[c]);
    }
    l.row_offsets.push_back(static_cast<std::int64_t>(l.values.size()));
  }
  return l;
}

// The values of a sparse layout (N:M or bitmap); null for the other layouts.
inline const sparse_values* sparse_values_of(const weight_layout& layout) {
  if (const auto* nm = std::get_if<nm_sparse_layout>(&layout)) return &nm->values;
  if (const auto* bitmap = std::get_if<bitmap_sparse_layout>(&layout)) return &bitmap->values;
  return nullptr;
}

inline sparse_values* sparse_values_of(weight_layout& layout) {
  return const_cast<sparse_values*>(sparse_values_of(std::as_const(layout)));
}

// Rounds a sparse layout's values to `to` (kick/formats.h value_type); other layouts unchanged.
inline void convert_sparse_values(weight_layout& layout, value_type to) {
  if (sparse_values* values = sparse_values_of(layout)) values->convert_to(to);
}

}  // namespace kick
