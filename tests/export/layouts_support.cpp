#include "export/layouts_support.h"

#include <cstring>
#include <random>
#include <stdexcept>
#include <type_traits>

#include "kick/format_codec.h"

namespace kick::test {
namespace {

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

bool same_bits(const sparse_values& a, const sparse_values& b) {
  return a.type == b.type && same_bits(a.f32, b.f32) && same_bits(a.bits16, b.bits16);
}

std::vector<float> random_floats(std::mt19937_64& rng, std::size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

group_quant_layout random_quant(std::mt19937_64& rng, std::int64_t rows, std::int64_t cols, std::int32_t bits,
                                std::int64_t group_size, bool act_order) {
  group_quant_layout q;
  q.bits = bits;
  q.group_size = group_size;
  q.symmetric = bits % 2 == 0;
  q.words_per_row = quant_words_per_row(cols, bits);
  q.n_groups = (cols + group_size - 1) / group_size;
  q.packed.assign(static_cast<std::size_t>(rows * q.words_per_row), 0);
  std::uniform_int_distribution<std::uint32_t> code(0, (1u << bits) - 1);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) set_quant_code(q, r, c, code(rng));
  q.scales = random_floats(rng, static_cast<std::size_t>(rows * q.n_groups), 0.001f, 0.1f);
  q.zeros = random_floats(rng, static_cast<std::size_t>(rows * q.n_groups), 0.0f, static_cast<float>((1 << bits) - 1));
  if (act_order) {
    std::uniform_int_distribution<std::int32_t> group(0, static_cast<std::int32_t>(q.n_groups - 1));
    for (std::int64_t c = 0; c < cols; ++c) q.g_idx.push_back(group(rng));
    q.input_scale = random_floats(rng, static_cast<std::size_t>(cols), 0.5f, 2.0f);
  }
  return q;
}

}  // namespace

compressed_weight random_layout(const std::string& variant, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  compressed_weight w;
  if (variant.starts_with("nm-2:4") || variant == "nm-1:2") {
    const std::int32_t n = variant.starts_with("nm-2:4") ? 2 : 1, m = variant.starts_with("nm-2:4") ? 4 : 2;
    w.n_rows = 5;
    w.n_cols = 16;
    std::vector<float> dense = random_floats(rng, 5 * 16, -1.0f, 1.0f);
    for (std::size_t g = 0; g < dense.size() / m; ++g)  // keep the first n of every group of m, zero the rest
      for (std::int32_t k = n; k < m; ++k) dense[g * m + static_cast<std::size_t>((k + g) % m)] = 0.0f;
    auto nm = encode_nm(matrix_f32{dense.data(), 5, 16, 16}, n, m);
    if (!nm) throw std::runtime_error(nm.error().message());
    if (variant == "nm-2:4-f16") nm->values.convert_to(value_type::f16);
    w.layout = std::move(*nm);
  } else if (variant == "bitmap" || variant == "bitmap-bf16") {
    w.n_rows = 3;
    w.n_cols = 100;  // not a multiple of 64: a partial last word
    std::vector<float> dense = random_floats(rng, 300, -1.0f, 1.0f);
    for (float& x : dense)
      if (std::abs(x) < 0.6f) x = 0.0f;
    w.layout = encode_bitmap(matrix_f32{dense.data(), 3, 100, 100});
    if (variant == "bitmap-bf16") convert_sparse_values(w.layout, value_type::bf16);
  } else if (variant.starts_with("quant-")) {
    w.n_rows = 4;
    w.n_cols = 96;
    const std::int32_t bits = variant[6] - '0';
    w.layout = random_quant(rng, 4, 96, bits, bits == 8 ? 96 : 32, variant.ends_with("act-order"));
  } else if (variant == "nf4" || variant == "nf4-double") {
    w.n_rows = 3;
    w.n_cols = 49;  // 147 codes: an odd count, a half-filled last byte, a partial last block
    nf4_layout l;
    l.block_size = 64;
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < 74; ++i) l.codes.push_back(static_cast<std::uint8_t>(byte(rng)));
    l.codes.back() &= 0xf0;
    l.absmax = random_floats(rng, 3, 0.1f, 2.0f);
    if (variant == "nf4-double") {
      l.double_quant = true;
      l.absmax_block_size = 2;
      for (int i = 0; i < 3; ++i) l.absmax_codes.push_back(static_cast<std::uint8_t>(byte(rng)));
      l.absmax2 = random_floats(rng, 2, 0.5f, 1.0f);
      l.absmax_offset = 0.75f;
    }
    w.layout = std::move(l);
  } else if (variant == "int8" || variant == "int8-no-outliers") {
    w.n_rows = 4;
    w.n_cols = 20;
    int8_outlier_layout l;
    std::uniform_int_distribution<int> q(-127, 127);
    for (int i = 0; i < 80; ++i) l.q.push_back(static_cast<std::int8_t>(q(rng)));
    l.row_scale = random_floats(rng, 4, 0.001f, 0.05f);
    if (variant == "int8") {
      l.outlier_cols = {3, 7, 15};
      for (std::int64_t r = 0; r < 4; ++r)
        for (std::int32_t c : l.outlier_cols) l.q[static_cast<std::size_t>(r * 20 + c)] = 0;
      l.outlier_values = random_floats(rng, 12, -8.0f, 8.0f);
    }
    w.layout = std::move(l);
  } else {
    throw std::invalid_argument("unknown layout variant " + variant);
  }
  if (status s = check_layout(w); !s.ok()) throw std::runtime_error(variant + ": " + s.message());
  return w;
}

bool same_weight(const compressed_weight& a, const compressed_weight& b) {
  if (a.n_rows != b.n_rows || a.n_cols != b.n_cols || a.layout.index() != b.layout.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using L = std::decay_t<decltype(x)>;
        const L& y = std::get<L>(b.layout);
        if constexpr (std::is_same_v<L, dense_layout>) {
          return true;
        } else if constexpr (std::is_same_v<L, nm_sparse_layout>) {
          return x.n == y.n && x.m == y.m && same_bits(x.values, y.values) && same_bits(x.indices, y.indices);
        } else if constexpr (std::is_same_v<L, bitmap_sparse_layout>) {
          return x.words_per_row == y.words_per_row && same_bits(x.bitmap, y.bitmap) && same_bits(x.values, y.values) &&
                 same_bits(x.row_offsets, y.row_offsets);
        } else if constexpr (std::is_same_v<L, group_quant_layout>) {
          return x.bits == y.bits && x.group_size == y.group_size && x.symmetric == y.symmetric &&
                 x.words_per_row == y.words_per_row && x.n_groups == y.n_groups && same_bits(x.packed, y.packed) &&
                 same_bits(x.scales, y.scales) && same_bits(x.zeros, y.zeros) && same_bits(x.g_idx, y.g_idx) &&
                 same_bits(x.input_scale, y.input_scale);
        } else if constexpr (std::is_same_v<L, nf4_layout>) {
          return x.block_size == y.block_size && same_bits(x.codes, y.codes) && same_bits(x.absmax, y.absmax) &&
                 x.double_quant == y.double_quant && x.absmax_block_size == y.absmax_block_size &&
                 same_bits(x.absmax_codes, y.absmax_codes) && same_bits(x.absmax2, y.absmax2) &&
                 std::memcmp(&x.absmax_offset, &y.absmax_offset, sizeof(float)) == 0;
        } else {
          return same_bits(x.q, y.q) && same_bits(x.row_scale, y.row_scale) && same_bits(x.outlier_cols, y.outlier_cols) &&
                 same_bits(x.outlier_values, y.outlier_values);
        }
      },
      a.layout);
}

}  // namespace kick::test
