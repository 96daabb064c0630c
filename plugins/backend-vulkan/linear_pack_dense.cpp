// Packing of dense weights: f32, f16 and bf16 rows padded to 8 columns; q8_0 blocks split into
// int8 code words and f32 scales (the f16 scale decoded exactly).
#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "kick/convert.h"
#include "linear_pack.h"

namespace kick::vk {
namespace {

class dense_packer final : public linear_packer {
 public:
  explicit dense_packer(const tensor_view& view) : view_(view), cols_(view.n_cols()), padded_(padded_cols(view.n_cols())) {}

  linear_params params() const override {
    linear_params p;
    p.format = view_.type == dtype::f32    ? linear_format::f32
               : view_.type == dtype::f16  ? linear_format::f16
               : view_.type == dtype::bf16 ? linear_format::bf16
                                           : linear_format::q8_0;
    return p;
  }
  std::string name() const override { return traits(view_.type).name; }

  std::vector<std::uint64_t> array_bytes(std::int64_t row0, std::int64_t row1) const override {
    const auto rows = static_cast<std::uint64_t>(row1 - row0);
    if (view_.type == dtype::q8_0) return {rows * static_cast<std::uint64_t>(cols_), rows * static_cast<std::uint64_t>(cols_ / 32) * 4};
    return {rows * static_cast<std::uint64_t>(row_words()) * 4};
  }

  packed_part pack(std::int64_t row0, std::int64_t row1) const override {
    packed_part part;
    part.row_words = static_cast<std::uint32_t>(row_words());
    const auto words = static_cast<std::size_t>(row_words());
    std::vector<std::uint32_t> main(static_cast<std::size_t>(row1 - row0) * words, 0u);
    std::vector<std::uint32_t> scales;
    for (std::int64_t r = row0; r < row1; ++r) {
      std::uint32_t* out = main.data() + static_cast<std::size_t>(r - row0) * words;
      const std::byte* in = view_.row(r);
      if (view_.type == dtype::q8_0) {
        for (std::int64_t b = 0; b < cols_ / 32; ++b) {
          block_q8_0 blk;
          std::memcpy(&blk, in + b * 34, sizeof blk);
          std::memcpy(out + b * 8, blk.q, 32);
          scales.push_back(std::bit_cast<std::uint32_t>(f16_to_f32(blk.d)));
        }
      } else {
        std::memcpy(out, in, static_cast<std::size_t>(row_size_bytes(view_.type, cols_)));
      }
    }
    part.arrays.push_back(std::move(main));
    if (view_.type == dtype::q8_0) {
      part.aux_stride = static_cast<std::uint32_t>(cols_ / 32);
      part.arrays.push_back(std::move(scales));
    }
    return part;
  }

 private:
  std::int64_t row_words() const {
    switch (view_.type) {
      case dtype::f32: return padded_;
      case dtype::f16:
      case dtype::bf16: return padded_ / 2;
      case dtype::q8_0: return cols_ / 4;
    }
    return 0;
  }

  tensor_view view_;
  std::int64_t cols_;
  std::int64_t padded_;
};

}  // namespace

result<std::unique_ptr<linear_packer>> make_dense_packer(const tensor_view& view, const std::string& what) {
  if (view.empty() || view.n_dims < 1 || view.n_dims > 2 || view.n_cols() <= 0 || view.n_rows() <= 0)
    return fail(status_code::invalid_argument, fmt::format("{}: a linear weight must be a non-empty 1-D or 2-D tensor", what));
  if (view.type == dtype::q8_0 && view.n_cols() % 32 != 0)
    return fail(status_code::invalid_argument, fmt::format("{}: q8_0 with {} columns, not a multiple of 32", what, view.n_cols()));
  if (view.type != dtype::f32 && view.type != dtype::f16 && view.type != dtype::bf16 && view.type != dtype::q8_0)
    return fail(status_code::unimplemented, fmt::format("{}: no Vulkan linear kernel for dtype {}", what, traits(view.type).name));
  return std::make_unique<dense_packer>(view);
}

}  // namespace kick::vk
