// Causal attention, one workgroup per (query head, token), keys in blocks of WG with an online
// softmax (running maximum and sum, the output rescaled when the maximum grows), so any number
// of cached positions fits: shared memory holds the query and one block's weights only.
// Invocation l scores key base + l, then accumulates output dimensions l, l + WG, ... over the
// block; head_dim <= min(4 * WG, MAX_HEAD_DIM) (checked by the host).
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "push/attention.h"
#include "workgroup_reduce.glsl"

const uint MAX_HEAD_DIM = 256;
const uint SLOTS = 4;  // output dimensions per invocation

layout(std430, binding = 0) readonly buffer q_buffer { float q[]; };
layout(std430, binding = 1) readonly buffer cache_k_buffer { float cache_k[]; };
layout(std430, binding = 2) readonly buffer cache_v_buffer { float cache_v[]; };
layout(std430, binding = 3) writeonly buffer out_buffer { float out_rows[]; };

shared float query[MAX_HEAD_DIM];
shared float weights[WG];

void main() {
  const uint head = gl_WorkGroupID.x;
  const uint t = gl_WorkGroupID.y;
  const uint lid = gl_LocalInvocationID.x;
  const uint hd = pc.head_dim;
  const uint kv_head = head / (pc.n_heads / pc.n_kv_heads);
  const uint q_base = (t * pc.n_heads + head) * hd;
  const uint cache_base = kv_head * pc.n_ctx * hd;
  const uint n_keys = pc.pos0 + t + 1;

  for (uint i = lid; i < hd; i += WG) query[i] = q[q_base + i];
  barrier();

  float running_max = 0.0;
  float running_sum = 0.0;
  float acc[SLOTS];
  for (uint s = 0; s < SLOTS; ++s) acc[s] = 0.0;

  for (uint base = 0; base < n_keys; base += WG) {
    const uint j = base + lid;
    const bool valid = j < n_keys;
    float score = -3.402823466e38;
    if (valid) {
      const uint k_base = cache_base + j * hd;
      float dot_qk = 0.0;
      for (uint i = 0; i < hd; ++i) dot_qk += query[i] * cache_k[k_base + i];
      score = dot_qk * pc.scale;
    }
    const float block_max = workgroup_max(score);
    const float new_max = base == 0 ? block_max : max(running_max, block_max);
    const float p = valid ? exp(score - new_max) : 0.0;
    weights[lid] = p;
    const float block_sum = workgroup_sum(p);  // its barriers also publish `weights`
    const float rescale = base == 0 ? 0.0 : exp(running_max - new_max);
    running_sum = running_sum * rescale + block_sum;
    running_max = new_max;
    const uint n_block = min(WG, n_keys - base);
    for (uint s = 0; s < SLOTS; ++s) {
      const uint d = lid + s * WG;
      if (d < hd) {
        float a = acc[s] * rescale;
        for (uint jj = 0; jj < n_block; ++jj) a += weights[jj] * cache_v[cache_base + (base + jj) * hd + d];
        acc[s] = a;
      }
    }
    barrier();  // `weights` is rewritten by the next block
  }

  const float inv_sum = 1.0 / running_sum;
  for (uint s = 0; s < SLOTS; ++s) {
    const uint d = lid + s * WG;
    if (d < hd) out_rows[q_base + d] = acc[s] * inv_sum;
  }
}
