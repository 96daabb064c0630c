// The f32 key/value cache of one sequence and the RoPE cos/sin tables for its positions.
#pragma once

#include <cstdint>
#include <memory>

#include "kick/model.h"
#include "kick/status.h"

namespace kick::cpu {

// Keys and values per layer, laid out [layer][kv_head][position][head_dim] so that one head's
// history is contiguous. Memory is reserved but not touched until positions are written.
class kv_cache {
 public:
  // resource_exhausted when the cache would not fit in memory (or its size overflows).
  static result<kv_cache> create(std::int64_t n_layers, std::int64_t n_kv_heads, std::int64_t head_dim, std::int64_t n_ctx);

  std::int64_t n_ctx() const { return n_ctx_; }
  std::int64_t size_bytes() const { return n_floats_ * static_cast<std::int64_t>(sizeof(float)); }

  float* key(std::int64_t layer, std::int64_t kv_head, std::int64_t pos) { return data_.get() + offset(layer, 0, kv_head, pos); }
  float* value(std::int64_t layer, std::int64_t kv_head, std::int64_t pos) { return data_.get() + offset(layer, 1, kv_head, pos); }
  const float* key(std::int64_t layer, std::int64_t kv_head, std::int64_t pos) const {
    return data_.get() + offset(layer, 0, kv_head, pos);
  }
  const float* value(std::int64_t layer, std::int64_t kv_head, std::int64_t pos) const {
    return data_.get() + offset(layer, 1, kv_head, pos);
  }

 private:
  std::int64_t offset(std::int64_t layer, std::int64_t kind, std::int64_t kv_head, std::int64_t pos) const {
    return (((layer * 2 + kind) * n_kv_heads_ + kv_head) * n_ctx_ + pos) * head_dim_;
  }

  std::unique_ptr<float[]> data_;
  std::int64_t n_floats_ = 0;
  std::int64_t n_kv_heads_ = 0;
  std::int64_t head_dim_ = 0;
  std::int64_t n_ctx_ = 0;
};

// cos/sin of position * theta^(-2i/head_dim) for i < head_dim/2, computed in double.
class rope_table {
 public:
  rope_table() = default;
  rope_table(std::int64_t head_dim, std::int64_t n_ctx, double theta, rope_layout layout);

  // Rotates one head's vector `v` (head_dim floats) to position `pos` in place.
  void apply(float* v, std::int64_t pos) const { apply(v, pos, v); }
  // The same, reading `in` and writing `out` (which may be `in`): keys go straight into the cache.
  void apply(const float* in, std::int64_t pos, float* out) const;

 private:
  std::int64_t half_ = 0;
  rope_layout layout_ = rope_layout::rotate_half;
  std::unique_ptr<float[]> cos_;  // [n_ctx][half]
  std::unique_ptr<float[]> sin_;
};

}  // namespace kick::cpu
