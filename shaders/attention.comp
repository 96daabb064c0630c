// Causal attention, one workgroup per (query head, token), keys in blocks of 4 * WG with an online
// softmax (running maximum and sum, the output rescaled when the maximum grows), so any number
// of cached positions fits: shared memory holds the query and one block's weights only.
// Invocation l scores keys base + l, base + WG + l, ..., then accumulates output dimensions l,
// l + WG, ... over the block; head_dim <= min(4 * WG, MAX_HEAD_DIM) (checked by the host). Keys
// are read 4 floats at a time when head_dim % 4 == 0.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
#include "push/attention.h"
#include "workgroup_reduce.glsl"

const uint MAX_HEAD_DIM = 256;
const uint SLOTS = 4;  // output dimensions per invocation
const uint KEYS = 4;   // keys scored per invocation and block

layout(std430, binding = 0) readonly buffer q_buffer { float q[]; };
layout(std430, binding = 1) readonly buffer cache_k_buffer { float cache_k[]; };
layout(std430, binding = 1) readonly buffer cache_k4_buffer { vec4 cache_k4[]; };  // the same range, when head_dim % 4 == 0
layout(std430, binding = 2) readonly buffer cache_v_buffer { float cache_v[]; };
layout(std430, binding = 3) writeonly buffer out_buffer { float out_rows[]; };

shared vec4 query4[MAX_HEAD_DIM / 4];
shared float weights[KEYS * WG];

void main() {
  const uint head = gl_WorkGroupID.x;
  const uint t = gl_WorkGroupID.y;
  const uint lid = gl_LocalInvocationID.x;
  const uint hd = pc.head_dim;
  const uint kv_head = head / (pc.n_heads / pc.n_kv_heads);
  const uint q_base = (t * pc.n_heads + head) * hd;
  const uint cache_base = kv_head * pc.n_ctx * hd;
  const uint n_keys = pc.pos0 + t + 1;

  for (uint i = lid; i < (hd + 3) / 4; i += WG) {
    vec4 v = vec4(0.0);
    for (uint c = 0; c < 4; ++c) v[c] = 4 * i + c < hd ? q[q_base + 4 * i + c] : 0.0;
    query4[i] = v;
  }
  barrier();

  // Each block holds KEYS * WG keys: invocation l scores keys base + k * WG + l. The running
  // maximum is uniform over the workgroup, so each invocation keeps its own share of the running
  // sum (rescaled alike) and the shares are added once at the end.
  float running_max = 0.0;
  float running_sum = 0.0;
  float acc[SLOTS];
  for (uint s = 0; s < SLOTS; ++s) acc[s] = 0.0;

  for (uint base = 0; base < n_keys; base += KEYS * WG) {
    float scores[KEYS];
    float local_max = -3.402823466e38;
    for (uint k = 0; k < KEYS; ++k) {
      const uint j = base + k * WG + lid;
      scores[k] = -3.402823466e38;
      if (j < n_keys) {
        const uint k_base = cache_base + j * hd;
        float dot_qk = 0.0;
        if (hd % 4 == 0) {
          const uint k_base4 = k_base / 4;
          for (uint i = 0; i < hd / 4; ++i) dot_qk += dot(query4[i], cache_k4[k_base4 + i]);
        } else {
          for (uint i = 0; i < hd; ++i) dot_qk += query4[i / 4][i % 4] * cache_k[k_base + i];
        }
        scores[k] = dot_qk * pc.scale;
        local_max = max(local_max, scores[k]);
      }
    }
    // workgroup_max ends with a barrier: every invocation is done reading the previous block's
    // weights before any writes this block's.
    const float block_max = workgroup_max(local_max);
    const float new_max = base == 0 ? block_max : max(running_max, block_max);
    const float rescale = base == 0 ? 0.0 : exp(running_max - new_max);
    running_max = new_max;
    float block_sum = 0.0;
    for (uint k = 0; k < KEYS; ++k) {
      const float p = base + k * WG + lid < n_keys ? exp(scores[k] - new_max) : 0.0;
      weights[k * WG + lid] = p;
      block_sum += p;
    }
    running_sum = running_sum * rescale + block_sum;
    barrier();
    const uint n_block = min(KEYS * WG, n_keys - base);
    for (uint s = 0; s < SLOTS; ++s) {
      const uint d = lid + s * WG;
      if (d < hd) {
        float a = acc[s] * rescale;
        for (uint jj = 0; jj < n_block; ++jj) a += weights[jj] * cache_v[cache_base + (base + jj) * hd + d];
        acc[s] = a;
      }
    }
  }

  const float total = workgroup_sum(running_sum);
  const float inv_sum = 1.0 / total;
  for (uint s = 0; s < SLOTS; ++s) {
    const uint d = lid + s * WG;
    if (d < hd) out_rows[q_base + d] = acc[s] * inv_sum;
  }
}
