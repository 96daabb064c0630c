// Appends one chunk's keys and values to a layer's caches: rows [token][kv_head * head_dim] to
// caches [kv_head][position][head_dim], one invocation per float of the chunk.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/kv_store.h"
#include "grid_stride.glsl"

layout(std430, binding = 0) readonly buffer k_buffer { float k[]; };
layout(std430, binding = 1) readonly buffer v_buffer { float v[]; };
layout(std430, binding = 2) writeonly buffer cache_k_buffer { float cache_k[]; };
layout(std430, binding = 3) writeonly buffer cache_v_buffer { float cache_v[]; };

void main() {
  const uint kv_dim = pc.n_kv_heads * pc.head_dim;
  const uint n = pc.n_tokens * kv_dim;
  for (uint e = grid_first(); e < n; e += grid_step()) {
    const uint t = e / kv_dim;
    const uint in_token = e - t * kv_dim;
    const uint head = in_token / pc.head_dim;
    const uint d = in_token - head * pc.head_dim;
    const uint at = (head * pc.n_ctx + pc.pos0 + t) * pc.head_dim + d;
    cache_k[at] = k[e];
    cache_v[at] = v[e];
  }
}
