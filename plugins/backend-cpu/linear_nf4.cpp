#include "linear_nf4.h"

#include <string>
#include <string_view>

#include "kick/format_codec.h"
#include "nf4_kernels.h"
#include "token_dispatch.h"

namespace kick::cpu {

namespace {

// ---- portable kernels: 32 columns into a register-sized chunk, `omp simd` loops --------------

// Weights of the n <= 32 columns from flat index f into w[32] (lanes past n are 0).
void weights32_generic(const nf4_plan& p, std::int64_t f, std::int64_t n, float* w) {
  const std::int64_t b0 = f / p.block_size;
  const bool one_block = b0 == (f + n - 1) / p.block_size;
#pragma omp simd
  for (std::int64_t i = 0; i < 32; ++i) {
    const std::int64_t flat = f + (i < n ? i : 0);
    const std::uint8_t byte = p.codes[flat / 2];
    const std::uint8_t code = flat % 2 == 0 ? static_cast<std::uint8_t>(byte >> 4) : static_cast<std::uint8_t>(byte & 0x0f);
    const float a = p.absmax[one_block ? b0 : flat / p.block_size];
    w[i] = i < n ? k_nf4_table[code] * a : 0.0f;
  }
}

template <int NT>
void matvec_generic(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
  const std::int64_t cols = p.n_cols;
  for (std::int64_t r = r0; r < r1; ++r) {
    float acc[NT][32] = {};
    for (std::int64_t c = 0; c < cols; c += 32) {
      const std::int64_t n = cols - c < 32 ? cols - c : 32;
      float w[32];
      weights32_generic(p, r * cols + c, n, w);
      for (int t = 0; t < NT; ++t) {
        const float* xt = x + t * cols + c;
        if (n == 32) {
#pragma omp simd
          for (std::int64_t i = 0; i < 32; ++i) acc[t][i] += w[i] * xt[i];
        } else {
          for (std::int64_t i = 0; i < n; ++i) acc[t][i] += w[i] * xt[i];
        }
      }
    }
    for (int t = 0; t < NT; ++t) {
      float v = 0.0f;
#pragma omp simd reduction(+ : v)
      for (std::int64_t i = 0; i < 32; ++i) v += acc[t][i];
      y[t * ldy + r] = v;
    }
  }
}

void matvec_generic_any(const nf4_plan& p, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                        std::int64_t ldy) {
  with_token_count<7>(n_tokens, [&]<int T>() { matvec_generic<T>(p, r0, r1, x, y, ldy); });
}

void decode_generic(const nf4_plan& p, std::int64_t r0, std::int64_t r1, float* out) {
  for (std::int64_t r = r0; r < r1; ++r) {
    for (std::int64_t c = 0; c < p.n_cols; c += 32) {
      const std::int64_t n = p.n_cols - c < 32 ? p.n_cols - c : 32;
      float w[32];
      weights32_generic(p, r * p.n_cols + c, n, w);
      for (std::int64_t i = 0; i < n; ++i) out[(r - r0) * p.n_cols + c + i] = w[i];
    }
  }
}

nf4_kernels kernels_for(std::string_view isa) {
  if (isa == "avx512f") return nf4_kernels_avx512();
  if (isa == "avx2") return nf4_kernels_avx2();
  return {matvec_generic_any, decode_generic};
}

class nf4_linear final : public compressed_linear {
 public:
  nf4_linear(const compressed_weight& w, const kernel_set& kernels, nf4_kernels k) : compressed_linear(w), isa_(kernels.isa), kernels_(k) {
    const auto& l = std::get<nf4_layout>(w.layout);
    plan_.n_rows = w.n_rows;
    plan_.n_cols = w.n_cols;
    plan_.block_size = l.block_size;
    plan_.codes = l.codes.data();
    plan_.absmax = l.absmax.data();
  }

  // What a product reads: the codes and the decoded absmax (f32 even when double-quantized).
  std::int64_t bytes() const override {
    const auto& l = std::get<nf4_layout>(weight().layout);
    return static_cast<std::int64_t>(l.codes.size() + l.absmax.size() * sizeof(float));
  }

  std::string kernel_name() const override { return "nf4 " + isa_; }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* /*scratch*/) const override {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += k_nf4_max_tokens) {
      const std::int64_t nt = n_tokens - t0 < k_nf4_max_tokens ? n_tokens - t0 : k_nf4_max_tokens;
      kernels_.matvec(plan_, r0, r1, x + t0 * n_cols(), nt, y + t0 * ldy, ldy);
    }
  }

  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override { kernels_.decode(plan_, r0, r1, out); }

 private:
  std::string isa_;
  nf4_kernels kernels_;
  nf4_plan plan_;
};

}  // namespace

std::unique_ptr<compressed_linear> make_nf4_linear(const compressed_weight& w, const kernel_set& kernels) {
  const nf4_kernels k = kernels_for(kernels.isa);
  if (k.matvec == nullptr) return nullptr;
  return std::make_unique<nf4_linear>(w, kernels, k);
}

}  // namespace kick::cpu
