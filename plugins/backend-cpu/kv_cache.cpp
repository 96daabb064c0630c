#include "kv_cache.h"

#include <cmath>
#include <new>
#include <string>

namespace kick::cpu {

result<kv_cache> kv_cache::create(std::int64_t n_layers, std::int64_t n_kv_heads, std::int64_t head_dim, std::int64_t n_ctx) {
  // Sizes are each at most 2^31 (checked by check_model_view and the runner); bound the product.
  constexpr std::int64_t k_max_floats = std::int64_t{1} << 40;
  std::int64_t n = 2;
  for (std::int64_t f : {n_layers, n_kv_heads, head_dim, n_ctx}) {
    if (f <= 0 || n > k_max_floats / f) {
      return fail(status_code::resource_exhausted, "kv cache of " + std::to_string(n_layers) + " layers x " +
                                                       std::to_string(n_kv_heads) + " kv heads x " + std::to_string(head_dim) +
                                                       " x " + std::to_string(n_ctx) + " positions is too large");
    }
    n *= f;
  }
  kv_cache cache;
  cache.data_.reset(new (std::nothrow) float[static_cast<std::size_t>(n)]);
  if (!cache.data_) {
    return fail(status_code::resource_exhausted,
                "cannot allocate a kv cache of " + std::to_string(n * 4 / (1 << 20)) + " MiB for " + std::to_string(n_ctx) + " positions");
  }
  cache.n_floats_ = n;
  cache.n_kv_heads_ = n_kv_heads;
  cache.head_dim_ = head_dim;
  cache.n_ctx_ = n_ctx;
  return cache;
}

rope_table::rope_table(std::int64_t head_dim, std::int64_t n_ctx, double theta, rope_layout layout)
    : half_(head_dim / 2), layout_(layout) {
  const auto n = static_cast<std::size_t>(n_ctx * half_);
  cos_ = std::make_unique_for_overwrite<float[]>(n);
  sin_ = std::make_unique_for_overwrite<float[]>(n);
  for (std::int64_t i = 0; i < half_; ++i) {
    const double freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
    for (std::int64_t pos = 0; pos < n_ctx; ++pos) {
      const double angle = static_cast<double>(pos) * freq;
      cos_[pos * half_ + i] = static_cast<float>(std::cos(angle));
      sin_[pos * half_ + i] = static_cast<float>(std::sin(angle));
    }
  }
}

void rope_table::apply(const float* in, std::int64_t pos, float* out) const {
  const float* c = cos_.get() + pos * half_;
  const float* s = sin_.get() + pos * half_;
  if (layout_ == rope_layout::rotate_half) {
#pragma omp simd
    for (std::int64_t i = 0; i < half_; ++i) {
      const float a = in[i], b = in[i + half_];
      out[i] = a * c[i] - b * s[i];
      out[i + half_] = a * s[i] + b * c[i];
    }
  } else {
    for (std::int64_t i = 0; i < half_; ++i) {
      const float a = in[2 * i], b = in[2 * i + 1];
      out[2 * i] = a * c[i] - b * s[i];
      out[2 * i + 1] = a * s[i] + b * c[i];
    }
  }
}

}  // namespace kick::cpu
