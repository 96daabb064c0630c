// N:M sparse layers (2n = m <= 16): the repacked form, the portable kernels and the choice of
// kernels per instruction set. The x86 kernels live in linear_nm_x86.cpp.
#include <algorithm>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "kick/format_codec.h"
#include "linear_sparse.h"
#include "sparse_kernels.h"

namespace kick::cpu {

namespace sparse {

namespace {

// Decodes block b of row r: the 16 lanes' columns in the block and values.
void decode_block(const nm_rows& w, std::int64_t r, std::int64_t b, std::int32_t* column, float* value) {
  const std::uint64_t word = w.word(r, b);
  const std::uint32_t mask = (1u << w.field_bits) - 1u;
  for (int k = 0; k < 16; ++k) {
    const std::uint64_t half = w.field_bits == 4 ? (word >> (32 * (k & 1))) : word;
    column[k] = w.lane_base[k] | static_cast<std::int32_t>((half >> w.lane_shift[k]) & mask);
    value[k] = w.value(r, 16 * b + k);
  }
}

void nm_matvec_generic(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                       std::int64_t ldy) {
  const std::int64_t n_blocks = w.n_cols / 32;
  for (std::int64_t r = r0; r < r1; ++r) {
    float acc[k_max_tokens][16] = {};
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      std::int32_t column[16];
      float value[16];
      decode_block(w, r, b, column, value);
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        const float* xb = x + t * w.n_cols + 32 * b;
        float* a = acc[t];
#pragma omp simd
        for (int k = 0; k < 16; ++k) a[k] += value[k] * xb[column[k]];
      }
    }
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      float sum = 0.0f;
      for (int k = 0; k < 16; ++k) sum += acc[t][k];
      y[t * ldy + r] = sum + w.tail_dot(r, x + t * w.n_cols);
    }
  }
}

void nm_decode_generic(const nm_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t n_blocks = (w.n_cols + 31) / 32;
  for (std::int64_t r = r0; r < r1; ++r) {
    float* row = out + (r - r0) * w.n_cols;
    std::memset(row, 0, static_cast<std::size_t>(w.n_cols) * sizeof(float));
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const std::int64_t lanes = std::min<std::int64_t>(16, (w.n_cols - 32 * b) / 2);
      for (int k = 0; k < lanes; ++k) row[32 * b + w.column(r, b, k)] = w.value(r, 16 * b + k);
    }
  }
}

}  // namespace

nm_kernels nm_generic() { return {nm_matvec_generic, nm_decode_generic}; }

}  // namespace sparse

namespace {

int field_bits_of(std::int32_t m) { return m == 2 ? 1 : m == 4 ? 2 : 4; }

class nm_linear final : public compressed_linear {
 public:
  nm_linear(const compressed_weight& w, const char* isa, sparse_value_type values, const sparse::nm_kernels& k, bool pairs = false)
      : compressed_linear(w), kernels_(k), isa_(isa), pairs_(pairs), values_(std::get<nm_sparse_layout>(w.layout).values, values) {
    const auto& l = std::get<nm_sparse_layout>(w.layout);
    rows_.m = l.m;
    rows_.field_bits = field_bits_of(l.m);
    rows_.n_cols = w.n_cols;
    rows_.field_bytes_per_row = (w.n_cols + 31) / 32 * 2 * rows_.field_bits;
    const std::int32_t n = l.m / 2;
    for (int k = 0; k < 16; ++k) {
      rows_.lane_base[k] = k / n * l.m;
      rows_.lane_shift[k] = rows_.field_bits == 4 ? 4 * (k >> 1) : rows_.field_bits * k;
    }
    // 1:2 and 2:4 pack their fields as the kernels read them (one 16- or 32-bit word per 32
    // columns, lane k at bits k * field_bits): used in place when rows are whole blocks.
    if (rows_.field_bits <= 2 && w.n_cols % 32 == 0 && nm_index_bytes_per_row(l, w.n_cols) == rows_.field_bytes_per_row) {
      rows_.fields = l.indices.data();
    } else {
      pack_fields(l);
    }
    rows_.values = values_.data();
    rows_.f16 = values_.f16();
  }

  std::int64_t bytes() const override {
    return n_rows() * (rows_.values_per_row() * (rows_.f16 ? 2 : 4) + rows_.field_bytes_per_row);
  }
  std::string kernel_name() const override {
    const auto& l = std::get<nm_sparse_layout>(weight().layout);
    std::string name = "nm " + std::to_string(l.n) + ":" + std::to_string(l.m) + " ";
    name.append(isa_).append(rows_.f16 ? " (f16 values" : " (f32 values");
    name.append(!values_.converted() ? " in place, " : " converted, ");
    name.append(std::to_string(rows_.field_bits)).append(fields_.empty() ? "-bit indices in place" : "-bit indices repacked");
    return name.append(pairs_ ? ", row pairs for 2-7 tokens)" : ")");
  }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* /*scratch*/) const override {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += sparse::k_max_tokens) {
      kernels_.matvec(rows_, r0, r1, x + t0 * n_cols(), std::min(sparse::k_max_tokens, n_tokens - t0), y + t0 * ldy, ldy);
    }
  }
  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override { kernels_.decode(rows_, r0, r1, out); }

 private:
  // Each value's index in its group, lane by lane (see sparse::nm_rows).
  void pack_fields(const nm_sparse_layout& l) {
    const std::int64_t n_blocks = (n_cols() + 31) / 32, layout_row_bytes = nm_index_bytes_per_row(l, n_cols());
    const int layout_bits = nm_index_bits(l.m);
    fields_.assign(static_cast<std::size_t>(n_rows() * rows_.field_bytes_per_row), 0);
    for (std::int64_t r = 0; r < n_rows(); ++r) {
      const std::uint8_t* layout_row = l.indices.data() + r * layout_row_bytes;
      for (std::int64_t b = 0; b < n_blocks; ++b) {
        const std::int64_t lanes = std::min<std::int64_t>(16, (n_cols() - 32 * b) / 2);
        std::uint64_t word = 0;
        for (int k = 0; k < lanes; ++k) {
          const std::uint64_t index = nm_index_in_row(layout_row, layout_bits, 16 * b + k);
          word |= index << ((rows_.field_bits == 4 ? 32 * (k & 1) : 0) + rows_.lane_shift[k]);
        }
        std::memcpy(&fields_[static_cast<std::size_t>(r * rows_.field_bytes_per_row + b * 2 * rows_.field_bits)], &word,
                    static_cast<std::size_t>(2 * rows_.field_bits));
      }
    }
    rows_.fields = fields_.data();
  }

  sparse::nm_kernels kernels_;
  std::string isa_;
  bool pairs_ = false;
  sparse::nm_rows rows_;
  std::vector<std::uint8_t> fields_;
  held_values values_;
};

}  // namespace

std::unique_ptr<compressed_linear> make_nm_linear(const compressed_weight& w, const kernel_set& kernels, sparse_value_type values) {
  const auto& l = std::get<nm_sparse_layout>(w.layout);
  if (2 * l.n != l.m || (l.m != 2 && l.m != 4 && l.m != 8 && l.m != 16)) return nullptr;
  const std::string_view isa = kernels.isa;
  const sparse::nm_kernels* native = isa == "avx512f" ? sparse::nm_avx512() : isa == "avx2" ? sparse::nm_avx2() : nullptr;
  if (native == nullptr) return std::make_unique<nm_linear>(w, "generic", values, sparse::nm_generic());
  if (native == sparse::nm_avx512() && l.m == 4 && sparse::nm_avx512_pairs() != nullptr)
    return std::make_unique<nm_linear>(w, kernels.isa, values, *sparse::nm_avx512_pairs(), true);
  return std::make_unique<nm_linear>(w, kernels.isa, values, *native);
}

}  // namespace kick::cpu
