// Packing of quantized layouts: group-quantized codes as they are (plus (scale, zero) pairs,
// g_idx, input_scale), NF4 codes regrouped one word per 8 columns with the table and the part's absmax,
// and int8-with-outliers codes, row scales, per-block outlier masks and outlier values.
#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "kick/format_codec.h"
#include "linear_pack.h"

namespace kick::vk {
namespace {

template <class T>
std::vector<std::uint32_t> words_of(const T* data, std::size_t n) {
  static_assert(sizeof(T) == 4);
  std::vector<std::uint32_t> out(n);
  if (n > 0) std::memcpy(out.data(), data, n * 4);
  return out;
}

std::uint64_t rows_of(std::int64_t row0, std::int64_t row1) { return static_cast<std::uint64_t>(row1 - row0); }

class gq_packer final : public linear_packer {
 public:
  explicit gq_packer(const compressed_weight& w) : w_(w), l_(std::get<group_quant_layout>(w.layout)) {}

  linear_params params() const override {
    linear_params p;
    p.format = linear_format::gq;
    p.group_size = static_cast<std::uint32_t>(std::min<std::int64_t>(l_.group_size, 0x7fffffff));
    const std::uint32_t flags = (l_.g_idx.empty() ? 0u : 1u) | (l_.input_scale.empty() ? 0u : 2u) |
                                (l_.g_idx.empty() && l_.group_size % 8 == 0 ? 4u : 0u) |
                                (std::has_single_bit(p.group_size) ? 8u : 0u);  // see shaders/include/formats/gq.glsl
    p.format_param = static_cast<std::uint32_t>(l_.bits) | flags << 8;
    return p;
  }
  std::string name() const override {
    std::string n = fmt::format("gq int{} g{}", l_.bits, l_.group_size);
    if (!l_.g_idx.empty()) n += " act-order";
    if (!l_.input_scale.empty()) n += " input-scaled";
    return n;
  }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const std::uint64_t rows = rows_of(row0, row1);
    const std::uint64_t columns = static_cast<std::uint64_t>(padded_cols(w_.n_cols)) * 4;
    const std::uint64_t scale_zero = rows * static_cast<std::uint64_t>(l_.n_groups) * 8;
    return {(rows * static_cast<std::uint64_t>(l_.words_per_row) + 3) * 4, scale_zero, l_.g_idx.empty() ? 4 : columns,
            l_.input_scale.empty() ? 4 : columns};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    part.row_words = static_cast<std::uint32_t>(l_.words_per_row);
    part.aux_stride = static_cast<std::uint32_t>(l_.n_groups);
    const auto codes_at = static_cast<std::size_t>(row0 * l_.words_per_row);
    std::vector<std::uint32_t> codes(l_.packed.begin() + static_cast<std::ptrdiff_t>(codes_at),
                                     l_.packed.begin() + static_cast<std::ptrdiff_t>(row1 * l_.words_per_row));
    codes.insert(codes.end(), 3, 0u);
    part.arrays.push_back(std::move(codes));
    const auto groups_at = static_cast<std::size_t>(row0 * l_.n_groups);
    const auto n_scales = static_cast<std::size_t>((row1 - row0) * l_.n_groups);
    std::vector<std::uint32_t> scale_zero(2 * n_scales);
    for (std::size_t g = 0; g < n_scales; ++g) {
      scale_zero[2 * g] = std::bit_cast<std::uint32_t>(l_.scales[groups_at + g]);
      scale_zero[2 * g + 1] = std::bit_cast<std::uint32_t>(l_.zeros[groups_at + g]);
    }
    part.arrays.push_back(std::move(scale_zero));
    const auto columns = static_cast<std::size_t>(padded_cols(w_.n_cols));
    std::vector<std::uint32_t> g_idx = words_of(l_.g_idx.data(), l_.g_idx.size());
    std::vector<std::uint32_t> input_scale = words_of(l_.input_scale.data(), l_.input_scale.size());
    if (g_idx.empty()) g_idx.push_back(0u);
    else g_idx.resize(columns, 0u);
    if (input_scale.empty()) input_scale.push_back(0u);
    else input_scale.resize(columns, std::bit_cast<std::uint32_t>(1.0f));
    part.arrays.push_back(std::move(g_idx));
    part.arrays.push_back(std::move(input_scale));
    return part;
  }

 private:
  const compressed_weight& w_;
  const group_quant_layout& l_;
};

class nf4_packer final : public linear_packer {
 public:
  explicit nf4_packer(const compressed_weight& w) : w_(w), l_(std::get<nf4_layout>(w.layout)) {}

  linear_params params() const override {
    linear_params p;
    p.format = linear_format::nf4;
    p.group_size = static_cast<std::uint32_t>(l_.block_size);
    p.format_param = (l_.block_size >= 8 ? 1u : 0u) | (std::has_single_bit(p.group_size) ? 2u : 0u);  // formats/nf4.glsl
    return p;
  }
  std::string name() const override { return fmt::format("nf4 b{}", l_.block_size); }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const std::uint64_t rows = rows_of(row0, row1);
    return {rows * static_cast<std::uint64_t>(padded_cols(w_.n_cols) / 8) * 4, (16 + n_blocks(row0, row1)) * 4};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    const std::int64_t cols = w_.n_cols;
    part.row_words = static_cast<std::uint32_t>(padded_cols(cols) / 8);
    std::vector<std::uint32_t> codes(static_cast<std::size_t>(rows_of(row0, row1) * part.row_words), 0u);
    for (std::int64_t r = row0; r < row1; ++r)
      for (std::int64_t c = 0; c < cols; ++c)
        codes[static_cast<std::size_t>((r - row0) * part.row_words + c / 8)] |= static_cast<std::uint32_t>(nf4_code_at(l_, r * cols + c))
                                                                              << (4 * (c % 8));
    const std::int64_t first_block = row0 * cols / l_.block_size;
    part.flat_offset = static_cast<std::uint32_t>(row0 * cols - first_block * l_.block_size);
    std::vector<std::uint32_t> absmax(static_cast<std::size_t>(16 + n_blocks(row0, row1)), 0u);
    for (int k = 0; k < 16; ++k) absmax[static_cast<std::size_t>(k)] = std::bit_cast<std::uint32_t>(k_nf4_table[k]);
    const auto real_blocks = static_cast<std::int64_t>(l_.absmax.size());
    for (std::int64_t b = first_block; b < std::min(real_blocks, first_block + static_cast<std::int64_t>(n_blocks(row0, row1))); ++b)
      absmax[static_cast<std::size_t>(16 + b - first_block)] = std::bit_cast<std::uint32_t>(l_.absmax[static_cast<std::size_t>(b)]);
    part.arrays.push_back(std::move(codes));
    part.arrays.push_back(std::move(absmax));
    return part;
  }

 private:
  // Blocks from the part's first through the one after the block its last padded column
  // reaches (the shader reads a block's successor).
  std::uint64_t n_blocks(std::int64_t row0, std::int64_t row1) const {
    const std::int64_t first = row0 * w_.n_cols / l_.block_size;
    const std::int64_t last = ((row1 - 1) * w_.n_cols + padded_cols(w_.n_cols) - 1) / l_.block_size;
    return static_cast<std::uint64_t>(last - first + 2);
  }

  const compressed_weight& w_;
  const nf4_layout& l_;
};

class int8o_packer final : public linear_packer {
 public:
  explicit int8o_packer(const compressed_weight& w) : w_(w), l_(std::get<int8_outlier_layout>(w.layout)) {}

  linear_params params() const override {
    linear_params p;
    p.format = linear_format::int8o;
    p.format_param = l_.outlier_cols.empty() ? 0u : 1u;
    return p;
  }
  std::string name() const override { return fmt::format("int8 {} outliers", l_.outlier_cols.size()); }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const std::uint64_t rows = rows_of(row0, row1);
    const auto n_out = static_cast<std::uint64_t>(l_.outlier_cols.size());
    return {rows * static_cast<std::uint64_t>(padded_cols(w_.n_cols)), rows * 4, static_cast<std::uint64_t>(padded_cols(w_.n_cols)),
            n_out == 0 ? 4 : rows * n_out * 4};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    const std::int64_t cols = w_.n_cols, padded = padded_cols(cols);
    const std::size_t n_out = l_.outlier_cols.size();
    part.row_words = static_cast<std::uint32_t>(padded / 4);
    part.aux_stride = static_cast<std::uint32_t>(n_out);
    std::vector<std::uint32_t> codes(static_cast<std::size_t>(rows_of(row0, row1) * part.row_words), 0u);
    for (std::int64_t r = row0; r < row1; ++r)
      std::memcpy(codes.data() + (r - row0) * part.row_words, l_.q.data() + r * cols, static_cast<std::size_t>(cols));
    std::vector<std::uint32_t> blocks(static_cast<std::size_t>(padded / 8 * 2), 0u);  // (mask, first slot) per block
    for (std::size_t k = n_out; k-- > 0;) {
      const auto col = static_cast<std::size_t>(l_.outlier_cols[k]);
      blocks[col / 8 * 2] |= 1u << (col % 8);
      blocks[col / 8 * 2 + 1] = static_cast<std::uint32_t>(k);  // the lowest slot of the block wins
    }
    std::vector<std::uint32_t> outliers = words_of(l_.outlier_values.data() + static_cast<std::size_t>(row0) * n_out,
                                                   static_cast<std::size_t>(rows_of(row0, row1)) * n_out);
    if (outliers.empty()) outliers.push_back(0u);
    part.arrays.push_back(std::move(codes));
    part.arrays.push_back(words_of(l_.row_scale.data() + row0, static_cast<std::size_t>(row1 - row0)));
    part.arrays.push_back(std::move(blocks));
    part.arrays.push_back(std::move(outliers));
    return part;
  }

 private:
  const compressed_weight& w_;
  const int8_outlier_layout& l_;
};

}  // namespace

result<std::unique_ptr<linear_packer>> make_quant_packer(const compressed_weight& w, const std::string& what) {
  if (const auto* gq = std::get_if<group_quant_layout>(&w.layout)) {
    if (gq->bits < 1 || gq->bits > 8)
      return fail(status_code::unimplemented, fmt::format("{}: group quantization with {} bits: the Vulkan kernels take 1 to 8", what, gq->bits));
    return std::make_unique<gq_packer>(w);
  }
  if (std::holds_alternative<nf4_layout>(w.layout)) return std::make_unique<nf4_packer>(w);
  return std::make_unique<int8o_packer>(w);
}

}  // namespace kick::vk
