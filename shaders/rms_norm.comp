// RMS norm of rows: one workgroup per token row, out = x * (1 / sqrt(mean(x^2) + eps)) * weight,
// in the same order of operations as the CPU backend.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;
#include "push/rms_norm.h"
#include "workgroup_reduce.glsl"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 1) readonly buffer weight_buffer { float weight[]; };
layout(std430, binding = 2) writeonly buffer out_buffer { float out_rows[]; };

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint base = row * pc.n;
  float sum_sq = 0.0;
  for (uint i = gl_LocalInvocationID.x; i < pc.n; i += WG) {
    const float v = x[base + i];
    sum_sq += v * v;
  }
  sum_sq = workgroup_sum(sum_sq);
  const float inv_rms = 1.0 / sqrt(sum_sq / float(pc.n) + pc.eps);
  for (uint i = gl_LocalInvocationID.x; i < pc.n; i += WG) out_rows[base + i] = x[base + i] * inv_rms * weight[i];
}
