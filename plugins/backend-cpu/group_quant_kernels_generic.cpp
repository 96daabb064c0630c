// Portable kernels of group-quantized layers: 32 columns at a time into a register-sized chunk,
// loops written for the compiler's vectoriser (`omp simd`).
#include <cstring>

#include "group_quant_kernels.h"
#include "token_dispatch.h"

namespace kick::cpu {

namespace {

// The codes of columns [c, c + n) (n <= 32, c a multiple of 32) of one row as floats.
template <int B>
void decode_codes(const std::uint32_t* row, std::int64_t words_per_row, std::int64_t c, std::int64_t n, float* q) {
  std::uint32_t buf[9] = {};
  const std::int64_t first = c / 32 * B;
  const std::int64_t have = words_per_row - first < B ? words_per_row - first : B;
  std::memcpy(buf, row + first, static_cast<std::size_t>(have) * sizeof(std::uint32_t));
#pragma omp simd
  for (std::int64_t i = 0; i < 32; ++i) {
    const std::int64_t bit = B * i;
    const std::uint64_t both = buf[bit / 32] | (static_cast<std::uint64_t>(buf[bit / 32 + 1]) << 32);
    q[i] = i < n ? static_cast<float>(static_cast<std::uint32_t>(both >> (bit % 32)) & ((1u << B) - 1u)) : 0.0f;
  }
}

template <int B, int NT>
void matvec_rows(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx, std::int64_t c0, std::int64_t c1,
                 float* y, std::int64_t ldy, bool accumulate) {
  for (std::int64_t r = r0; r < r1; ++r) {
    float acc[NT][32] = {};
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    for (std::int64_t c = c0; c < c1; c += 32) {
      const std::int64_t n = c1 - c < 32 ? c1 - c : 32;
      float w[32], s[32], b[32];
      decode_codes<B>(p.packed + r * p.words_per_row, p.words_per_row, c, n, w);
      const std::int32_t g = n == 32 ? p.step_group[c / 32] : -1;
      for (std::int64_t i = 0; i < 32; ++i) {
        const std::int32_t gi = g >= 0 ? g : (i < n ? p.col_group[c + i] : 0);
        s[i] = s_row[gi];
        b[i] = -s_row[gi] * z_row[gi];
      }
#pragma omp simd
      for (std::int64_t i = 0; i < 32; ++i) w[i] = i < n ? w[i] * s[i] + b[i] : 0.0f;
      if (p.inv_input_scale != nullptr) {
        for (std::int64_t i = 0; i < n; ++i) w[i] *= p.inv_input_scale[c + i];
      }
      const float* x = xs + (c - c0);
      for (int t = 0; t < NT; ++t) {
        if (n == 32) {
#pragma omp simd
          for (std::int64_t i = 0; i < 32; ++i) acc[t][i] += w[i] * x[t * ldx + i];
        } else {
          for (std::int64_t i = 0; i < n; ++i) acc[t][i] += w[i] * x[t * ldx + i];
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      float v = 0.0f;
#pragma omp simd reduction(+ : v)
      for (std::int64_t i = 0; i < 32; ++i) v += acc[t][i];
      y[t * ldy + r] = accumulate ? y[t * ldy + r] + v : v;
    }
  }
}

template <int B>
void matvec_any(const gq_plan& p, std::int64_t r0, std::int64_t r1, const float* xs, std::int64_t ldx, std::int64_t n_tokens,
                std::int64_t c0, std::int64_t c1, float* y, std::int64_t ldy, bool accumulate) {
  with_token_count<7>(n_tokens, [&]<int T>() { matvec_rows<B, T>(p, r0, r1, xs, ldx, c0, c1, y, ldy, accumulate); });
}

template <int B>
void decode_rows(const gq_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    const float* s_row = p.scales + r * p.n_groups;
    const float* z_row = p.zeros + r * p.n_groups;
    float* o = out + (r - r0) * p.n_cols;
    for (std::int64_t c = 0; c < p.n_cols; c += 32) {
      const std::int64_t n = p.n_cols - c < 32 ? p.n_cols - c : 32;
      float q[32];
      decode_codes<B>(p.packed + r * p.words_per_row, p.words_per_row, c, n, q);
      const std::int32_t g = n == 32 ? p.step_group[c / 32] : -1;
      if (g >= 0) {
        const float s = s_row[g], z = z_row[g];
#pragma omp simd
        for (std::int64_t i = 0; i < 32; ++i) o[c + i] = s * (q[i] - z);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[c + i] = s_row[p.col_group[c + i]] * (q[i] - z_row[p.col_group[c + i]]);
      }
      if (p.input_scale != nullptr) {
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i) o[c + i] /= p.input_scale[c + i];
      }
    }
  }
}

}  // namespace

gq_kernels gq_kernels_generic(int bits) {
  switch (bits) {
    case 2: return {matvec_any<2>, decode_rows<2>};
    case 3: return {matvec_any<3>, decode_rows<3>};
    case 4: return {matvec_any<4>, decode_rows<4>};
    case 8: return {matvec_any<8>, decode_rows<8>};
    default: return {};
  }
}

}  // namespace kick::cpu
