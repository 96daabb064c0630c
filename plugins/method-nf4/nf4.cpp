#include "nf4.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "dynamic_map.h"
#include "kick/format_codec.h"

namespace kick::methods {

namespace {

constexpr std::uint8_t k_nf4_zero_code = 7;        // k_nf4_table[7] == 0
constexpr std::uint8_t k_dynamic_zero_code = 127;  // signed_dynamic_map()[127] == 0

// Blockwise absmax of a[0, n) over blocks of `block` elements.
std::vector<float> block_absmax(const std::vector<float>& a, std::int64_t block) {
  const auto n = static_cast<std::int64_t>(a.size());
  std::vector<float> absmax(static_cast<std::size_t>((n + block - 1) / block), 0.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    float& m = absmax[static_cast<std::size_t>(i / block)];
    m = std::max(m, std::fabs(a[static_cast<std::size_t>(i)]));
  }
  return absmax;
}

// clamp(x * (1 / absmax), -1, 1) in float32.
float scale_into_unit(float x, float absmax) { return std::clamp(x * (1.0f / absmax), -1.0f, 1.0f); }

}  // namespace

result<nf4_params> parse_nf4_params(const param_map& params) {
  nf4_params p;
  auto block = params.get_int("block_size");
  if (!block) return std::unexpected(block.error());
  if (*block < 32 || *block > 4096 || (*block & (*block - 1)) != 0)
    return fail(status_code::invalid_argument, detail::format("block_size {} is not a power of two in 32..4096", *block));
  auto dq = params.get_bool("double_quant");
  if (!dq) return std::unexpected(dq.error());
  p.block_size = *block;
  p.double_quant = *dq;
  return p;
}

result<method_output> nf4_compress(const matrix_f32& weight, const nf4_params& p) {
  const std::int64_t rows = weight.n_rows, cols = weight.n_cols, n = rows * cols;
  std::vector<float> flat(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < rows; ++r) std::copy_n(weight.row(r), cols, flat.data() + r * cols);
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(flat[static_cast<std::size_t>(i)]))
      return fail(status_code::failed_precondition,
                  detail::format("weight has a non-finite value at row {} column {}", i / cols, i % cols));

  nf4_layout l;
  l.block_size = p.block_size;
  l.absmax = block_absmax(flat, p.block_size);
  l.codes.assign(static_cast<std::size_t>((n + 1) / 2), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const float m = l.absmax[static_cast<std::size_t>(i / p.block_size)];
    const std::uint8_t code = m > 0.0f ? nf4_code(scale_into_unit(flat[static_cast<std::size_t>(i)], m)) : k_nf4_zero_code;
    l.codes[static_cast<std::size_t>(i / 2)] |= static_cast<std::uint8_t>(i % 2 == 0 ? code << 4 : code);
  }

  if (p.double_quant) {
    const std::int64_t n_blocks = static_cast<std::int64_t>(l.absmax.size());
    double sum = 0.0;
    for (float m : l.absmax) sum += m;
    const auto offset = static_cast<float>(sum / static_cast<double>(n_blocks));  // torch mean, float32 result
    std::vector<float> centered(l.absmax.size());
    for (std::size_t b = 0; b < centered.size(); ++b) centered[b] = l.absmax[b] - offset;
    l.double_quant = true;
    l.absmax_block_size = k_nf4_absmax_block_size;
    l.absmax_offset = offset;
    l.absmax2 = block_absmax(centered, k_nf4_absmax_block_size);
    l.absmax_codes.resize(centered.size());
    const std::array<float, 256>& map = signed_dynamic_map();
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const float m2 = l.absmax2[static_cast<std::size_t>(b / k_nf4_absmax_block_size)];
      const std::uint8_t code =
          m2 > 0.0f ? dynamic_map_code(scale_into_unit(centered[static_cast<std::size_t>(b)], m2)) : k_dynamic_zero_code;
      l.absmax_codes[static_cast<std::size_t>(b)] = code;
      l.absmax[static_cast<std::size_t>(b)] = map[code] * m2 + offset;
    }
  }

  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = weight.row(r);
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::int64_t i = r * cols + c;
      row[c] = k_nf4_table[nf4_code_at(l, i)] * l.absmax[static_cast<std::size_t>(i / p.block_size)];
    }
  }
  method_output out;
  out.layout = std::move(l);
  out.bits_per_weight = storage_bits_per_weight(compressed_weight{rows, cols, out.layout});
  return out;
}

}  // namespace kick::methods
