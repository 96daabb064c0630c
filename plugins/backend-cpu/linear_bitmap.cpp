// Bitmap (unstructured) sparse layers: the layout's bitmap and row offsets read in place, the
// values as the layout holds them (f32) or as an f16 copy; the portable kernels and the choice
// of kernels per instruction set. The x86 kernels live in linear_bitmap_x86.cpp.
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "linear_sparse.h"
#include "sparse_kernels.h"

namespace kick::cpu {

namespace sparse {

namespace {

// The 16-column chunk `chunk` of a row's bitmap.
inline std::uint32_t chunk_mask(const std::uint64_t* bits, std::int64_t chunk) {
  return static_cast<std::uint32_t>(bits[chunk >> 2] >> (16 * (chunk & 3))) & 0xffffu;
}

// Each 16 columns expand their non-zeros into 16 lanes (zeros elsewhere), multiplied with every
// token's activations in 16 accumulators per token.
void bitmap_matvec_generic(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                           std::int64_t ldy) {
  const std::int64_t n_chunks = w.n_cols / 16;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
    std::int64_t next = w.row_offsets[r];
    float acc[k_max_tokens][16] = {};
    for (std::int64_t chunk = 0; chunk < n_chunks; ++chunk) {
      const std::uint32_t mask = chunk_mask(bits, chunk);
      if (mask == 0) continue;
      float value[16];
      for (int j = 0; j < 16; ++j) value[j] = (mask >> j) & 1u ? w.value(next + std::popcount(mask & ((1u << j) - 1u))) : 0.0f;
      next += std::popcount(mask);
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        const float* xc = x + t * w.n_cols + 16 * chunk;
        float* a = acc[t];
#pragma omp simd
        for (int j = 0; j < 16; ++j) a[j] += value[j] * xc[j];
      }
    }
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      float sum = 0.0f;
      for (int j = 0; j < 16; ++j) sum += acc[t][j];
      y[t * ldy + r] = sum + w.tail_dot(r, 16 * n_chunks, next, x + t * w.n_cols);
    }
  }
}

void bitmap_decode_generic(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    float* row = out + (r - r0) * w.n_cols;
    std::int64_t next = w.row_offsets[r];
    for (std::int64_t c = 0; c < w.n_cols; ++c) row[c] = w.bit(r, c) ? w.value(next++) : 0.0f;
  }
}

}  // namespace

bitmap_kernels bitmap_generic() { return {bitmap_matvec_generic, bitmap_decode_generic}; }

}  // namespace sparse

namespace {

class bitmap_linear final : public compressed_linear {
 public:
  bitmap_linear(const compressed_weight& w, const char* isa, sparse_value_type values, const sparse::bitmap_kernels& k)
      : compressed_linear(w), kernels_(k), isa_(isa), values_(std::get<bitmap_sparse_layout>(w.layout).values, values) {
    const auto& l = std::get<bitmap_sparse_layout>(w.layout);
    rows_.n_values = static_cast<std::int64_t>(l.values.size());
    rows_.bitmap = l.bitmap.data();
    rows_.words_per_row = l.words_per_row;
    rows_.row_offsets = l.row_offsets.data();
    rows_.n_cols = w.n_cols;
    rows_.values = values_.data();
    rows_.f16 = values_.f16();
  }

  std::int64_t bytes() const override {
    const auto& l = std::get<bitmap_sparse_layout>(weight().layout);
    return static_cast<std::int64_t>(l.bitmap.size() * 8 + l.row_offsets.size() * 8) + rows_.n_values * (rows_.f16 ? 2 : 4);
  }
  std::string kernel_name() const override {
    return std::string("bitmap ").append(isa_).append(rows_.f16 ? " (f16 values" : " (f32 values")
        .append(!values_.converted() ? " in place)" : " converted)");
  }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* /*scratch*/) const override {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += sparse::k_max_tokens) {
      kernels_.matvec(rows_, r0, r1, x + t0 * n_cols(), std::min(sparse::k_max_tokens, n_tokens - t0), y + t0 * ldy, ldy);
    }
  }
  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override { kernels_.decode(rows_, r0, r1, out); }

 private:
  sparse::bitmap_kernels kernels_;
  std::string isa_;
  sparse::bitmap_rows rows_;
  held_values values_;
};

}  // namespace

std::unique_ptr<compressed_linear> make_bitmap_linear(const compressed_weight& w, const kernel_set& kernels, sparse_value_type values) {
  const std::string_view isa = kernels.isa;
  // The AVX-512 kernels also need AVX512_VPOPCNTDQ; without it an avx512f set runs the AVX2 ones.
  if (isa == "avx512f" && sparse::bitmap_avx512() != nullptr) return std::make_unique<bitmap_linear>(w, "avx512f", values, *sparse::bitmap_avx512());
  if ((isa == "avx512f" || isa == "avx2") && sparse::bitmap_avx2() != nullptr)
    return std::make_unique<bitmap_linear>(w, "avx2", values, *sparse::bitmap_avx2());
  return std::make_unique<bitmap_linear>(w, "generic", values, sparse::bitmap_generic());
}

std::unique_ptr<compressed_linear> make_bitmap_linear_vpopcntdq(const compressed_weight& w, sparse_value_type values) {
  const sparse::bitmap_kernels* k = sparse::bitmap_avx512_vpopcntdq();
  return k == nullptr ? nullptr : std::make_unique<bitmap_linear>(w, "avx512f", values, *k);
}

}  // namespace kick::cpu
