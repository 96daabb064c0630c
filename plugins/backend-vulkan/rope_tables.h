// The RoPE cos/sin tables the rope shader reads, computed on the host exactly as the CPU
// backend's rope_table (plugins/backend-cpu/kv_cache.cpp): in double, rounded to float.
#pragma once

#include <cstdint>
#include <vector>

namespace kick::vk {

struct rope_tables_host {
  std::vector<float> cos;  // [n_ctx][head_dim / 2]: cos(pos * theta^(-2i / head_dim))
  std::vector<float> sin;
};

rope_tables_host make_rope_tables(std::int64_t head_dim, std::int64_t n_ctx, double theta);

}  // namespace kick::vk
