// Rotary position embedding in place: one invocation per (token, head, rotated pair), cos/sin
// read from host-computed tables [position][head_dim / 2].
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/rope.h"
#include "grid_stride.glsl"

layout(std430, binding = 0) buffer rows_buffer { float rows[]; };
layout(std430, binding = 1) readonly buffer cos_buffer { float cos_table[]; };
layout(std430, binding = 2) readonly buffer sin_buffer { float sin_table[]; };

void main() {
  const uint half_dim = pc.head_dim / 2;
  const uint pairs_per_token = pc.n_heads * half_dim;
  const uint n_pairs = pc.n_tokens * pairs_per_token;
  for (uint p = grid_first(); p < n_pairs; p += grid_step()) {
    const uint t = p / pairs_per_token;
    const uint in_token = p - t * pairs_per_token;
    const uint head = in_token / half_dim;
    const uint i = in_token - head * half_dim;
    const uint table = (pc.pos0 + t) * half_dim + i;
    const float c = cos_table[table];
    const float s = sin_table[table];
    const uint head_base = t * pc.row_stride + head * pc.head_dim;
    const uint lo = pc.interleaved == 0 ? head_base + i : head_base + 2 * i;
    const uint hi = pc.interleaved == 0 ? lo + half_dim : lo + 1;
    const float a = rows[lo];
    const float b = rows[hi];
    rows[lo] = a * c - b * s;
    rows[hi] = a * s + b * c;
  }
}
