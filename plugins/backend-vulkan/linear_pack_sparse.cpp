// Packing of sparse layouts: N:M values with their in-group indices at 1, 2 or 4 bits, and
// bitmap rows as 32-bit words with per-word prefix counts; values as f32 bits or f16 halves.
#include <fmt/format.h>

#include <bit>

#include "kick/convert.h"
#include "kick/format_codec.h"
#include "linear_pack.h"

namespace kick::vk {
namespace {

// Appends `values` as f32 words, or as f16 halves two per word (the lower index low).
class value_writer {
 public:
  explicit value_writer(bool f16) : f16_(f16) {}
  void push(float v) {
    if (!f16_) {
      words.push_back(std::bit_cast<std::uint32_t>(v));
    } else if (n_++ % 2 == 0) {
      words.push_back(f32_to_f16(v));
    } else {
      words.back() |= static_cast<std::uint32_t>(f32_to_f16(v)) << 16;
    }
  }
  std::vector<std::uint32_t> words;

 private:
  bool f16_;
  std::uint64_t n_ = 0;
};

std::uint64_t value_bytes(std::uint64_t n_values, bool f16) { return f16 ? (n_values + 1) / 2 * 4 : n_values * 4; }
const char* value_name(bool f16) { return f16 ? "f16 values" : "f32 values"; }

class nm_packer final : public linear_packer {
 public:
  nm_packer(const compressed_weight& w, bool f16)
      : w_(w), l_(std::get<nm_sparse_layout>(w.layout)), f16_(f16), blocks_(padded_cols(w.n_cols) / 8) {
    per_block_ = (8 / l_.m) * l_.n;
    index_bits_ = l_.m == 8 ? 4 : (l_.m == 4 ? 2 : 1);
    block_bits_ = std::max<std::int64_t>(1, std::bit_ceil(static_cast<std::uint64_t>(per_block_ * index_bits_)));
    row_values_ = blocks_ * per_block_;
    if (f16_) row_values_ += row_values_ % 2;
    index_words_ = (blocks_ * block_bits_ + 31) / 32;
  }

  linear_params params() const override {
    linear_params p;
    p.format = linear_format::nm;
    p.format_param = static_cast<std::uint32_t>(l_.n) | static_cast<std::uint32_t>(l_.m) << 8;
    p.values_f16 = f16_;
    return p;
  }
  std::string name() const override { return fmt::format("nm {}:{} {}", l_.n, l_.m, value_name(f16_)); }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const auto rows = static_cast<std::uint64_t>(row1 - row0);
    return {value_bytes(rows * static_cast<std::uint64_t>(row_values_), f16_), rows * static_cast<std::uint64_t>(index_words_) * 4};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    part.row_words = static_cast<std::uint32_t>(row_values_);
    part.aux_stride = static_cast<std::uint32_t>(index_words_);
    value_writer values(f16_);
    std::vector<std::uint32_t> indices(static_cast<std::size_t>((row1 - row0) * index_words_), 0u);
    const std::int64_t row_kept = w_.n_cols / l_.m * l_.n;
    const std::int64_t layout_row_bytes = nm_index_bytes_per_row(l_, w_.n_cols);
    const int layout_bits = nm_index_bits(l_.m);
    for (std::int64_t r = row0; r < row1; ++r) {
      std::uint32_t* index_row = indices.data() + (r - row0) * index_words_;
      const std::uint8_t* layout_row = l_.indices.data() + r * layout_row_bytes;
      for (std::int64_t k = 0; k < row_values_; ++k) {
        const bool stored = k < row_kept;
        const auto at = static_cast<std::size_t>(r * row_kept + k);
        values.push(stored ? l_.values[at] : 0.0f);
        if (!stored) continue;
        const std::int64_t bit = (k / per_block_) * block_bits_ + (k % per_block_) * index_bits_;
        index_row[bit / 32] |= nm_index_in_row(layout_row, layout_bits, k) << (bit % 32);
      }
    }
    part.arrays.push_back(std::move(values.words));
    part.arrays.push_back(std::move(indices));
    return part;
  }

 private:
  const compressed_weight& w_;
  const nm_sparse_layout& l_;
  bool f16_;
  std::int64_t blocks_;
  std::int64_t per_block_ = 0, index_bits_ = 0, block_bits_ = 0, row_values_ = 0, index_words_ = 0;
};

class bitmap_packer final : public linear_packer {
 public:
  bitmap_packer(const compressed_weight& w, bool f16)
      : w_(w), l_(std::get<bitmap_sparse_layout>(w.layout)), f16_(f16), row_words_((padded_cols(w.n_cols) + 31) / 32) {}

  linear_params params() const override {
    linear_params p;
    p.format = linear_format::bitmap;
    p.values_f16 = f16_;
    return p;
  }
  std::string name() const override { return fmt::format("bitmap {}", value_name(f16_)); }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const auto rows = static_cast<std::uint64_t>(row1 - row0);
    const auto nnz = static_cast<std::uint64_t>(l_.row_offsets[static_cast<std::size_t>(row1)] - l_.row_offsets[static_cast<std::size_t>(row0)]);
    const std::uint64_t bitmap_words = rows * static_cast<std::uint64_t>(row_words_);
    return {value_bytes(nnz + 8, f16_), bitmap_words * 4, rows * 4, (bitmap_words + 1) / 2 * 4};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    part.row_words = static_cast<std::uint32_t>(row_words_);
    value_writer values(f16_);
    const std::int64_t first = l_.row_offsets[static_cast<std::size_t>(row0)];
    const std::int64_t last = l_.row_offsets[static_cast<std::size_t>(row1)];
    for (std::int64_t i = first; i < last; ++i) values.push(l_.values[static_cast<std::size_t>(i)]);
    for (int i = 0; i < 8; ++i) values.push(0.0f);
    std::vector<std::uint32_t> bits, row_offsets, prefix;
    for (std::int64_t r = row0; r < row1; ++r) {
      row_offsets.push_back(static_cast<std::uint32_t>(l_.row_offsets[static_cast<std::size_t>(r)] - first));
      std::uint32_t before = 0;
      for (std::int64_t k = 0; k < row_words_; ++k) {
        const std::uint64_t pair = l_.bitmap[static_cast<std::size_t>(r * l_.words_per_row + k / 2)];
        const auto word = static_cast<std::uint32_t>(k % 2 == 0 ? pair : pair >> 32);
        if (bits.size() % 2 == 0) prefix.push_back(before);
        else prefix.back() |= before << 16;
        bits.push_back(word);
        before += static_cast<std::uint32_t>(std::popcount(word));
      }
    }
    part.arrays.push_back(std::move(values.words));
    part.arrays.push_back(std::move(bits));
    part.arrays.push_back(std::move(row_offsets));
    part.arrays.push_back(std::move(prefix));
    return part;
  }

 private:
  const compressed_weight& w_;
  const bitmap_sparse_layout& l_;
  bool f16_;
  std::int64_t row_words_;
};

}  // namespace

result<std::unique_ptr<linear_packer>> make_sparse_packer(const compressed_weight& w, sparse_storage values, const std::string& what) {
  const bool f16 = values == sparse_storage::f16 || (values == sparse_storage::stored && sparse_values_of(w.layout)->type == kick::value_type::f16);
  if (const auto* nm = std::get_if<nm_sparse_layout>(&w.layout)) {
    if (nm->m != 1 && nm->m != 2 && nm->m != 4 && nm->m != 8)
      return fail(status_code::unimplemented, fmt::format("{}: N:M sparsity {}:{}: the Vulkan kernels take M = 1, 2, 4 or 8", what, nm->n, nm->m));
    return std::make_unique<nm_packer>(w, f16);
  }
  if (w.n_cols > 65536)
    return fail(status_code::unimplemented, fmt::format("{}: bitmap rows of {} columns: the Vulkan kernels take at most 65536", what, w.n_cols));
  return std::make_unique<bitmap_packer>(w, f16);
}

}  // namespace kick::vk
