// Matrix-vector product for decode (1..8 tokens) over one row part of a packed weight:
// y[t][y_row_offset + r] = sum_c W[r][c] * x[t][c]. A workgroup owns ROWS rows; its invocations
// stride over whole 8-column blocks, decode the ROWS rows' weights in registers (formats/*.glsl
// decode8), then stream each token's 8 activations; the last partial block is done once after
// the loop. Reduction: subgroupAdd, then across subgroups through shared memory. Every choice
// is a specialization constant, so CPU drivers (which run both sides of a branch) see none.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WORKGROUP = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(constant_id = 2) const uint NUM_COLS = 1;  // tokens, = n_tokens
layout(constant_id = 3) const uint FORMAT_PARAM = 0;
layout(constant_id = 4) const bool VALUES_F16 = false;
layout(constant_id = 5) const bool X_ALIGNED = false;  // x_stride % 4 == 0 (or one token): x read as vec4

#include "push/linear.h"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 0) readonly buffer x_buffer4 { vec4 x4[]; };  // the same binding
layout(std430, binding = 1) writeonly buffer y_buffer { float y[]; };
#define FIRST_ARRAY_BINDING 2
#include "formats/format.glsl"

shared float partial[ROWS * NUM_COLS * WORKGROUP];

float acc[ROWS][NUM_COLS];

// Adds block blk of the workgroup's rows times every token; `tail`: columns past n_cols are 0.
void accumulate(uint row0, uint blk, bool tail) {
  const uint col0 = blk * 8u;
  float w[ROWS][8];
  for (uint r = 0u; r < ROWS; ++r) {
    float d[8];
    decode8(min(row0 + r, pc.n_rows - 1u), blk, d);  // rows past the part repeat the last (not written)
    for (uint j = 0u; j < 8u; ++j) w[r][j] = tail && col0 + j >= pc.n_cols ? 0.0 : d[j];
  }
  for (uint t = 0u; t < NUM_COLS; ++t) {
    const uint at = t * pc.x_stride + col0;
    float xv[8];
    if (tail) {
      for (uint j = 0u; j < 8u; ++j) xv[j] = col0 + j < pc.n_cols ? x[at + j] : 0.0;
    } else if (X_ALIGNED) {
      const vec4 a = x4[at / 4u], b = x4[at / 4u + 1u];
      xv[0] = a.x; xv[1] = a.y; xv[2] = a.z; xv[3] = a.w;
      xv[4] = b.x; xv[5] = b.y; xv[6] = b.z; xv[7] = b.w;
    } else {
      for (uint j = 0u; j < 8u; ++j) xv[j] = x[at + j];
    }
    for (uint r = 0u; r < ROWS; ++r) {
      float sum = acc[r][t];
      for (uint j = 0u; j < 8u; ++j) sum += w[r][j] * xv[j];
      acc[r][t] = sum;
    }
  }
}

void main() {
  const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  const uint row0 = group * ROWS;
  if (row0 >= pc.n_rows) return;  // the whole workgroup
  const uint n_full = pc.n_cols / 8u;

  for (uint r = 0u; r < ROWS; ++r)
    for (uint t = 0u; t < NUM_COLS; ++t) acc[r][t] = 0.0;
  for (uint blk = gl_LocalInvocationID.x; blk < n_full; blk += WORKGROUP) accumulate(row0, blk, false);
  if (pc.n_cols % 8u != 0u && gl_LocalInvocationID.x == n_full % WORKGROUP) accumulate(row0, n_full, true);

  for (uint r = 0u; r < ROWS; ++r)
    for (uint t = 0u; t < NUM_COLS; ++t) {
      const float s = subgroupAdd(acc[r][t]);
      if (subgroupElect()) partial[(r * NUM_COLS + t) * gl_NumSubgroups + gl_SubgroupID] = s;
    }
  barrier();
  const uint i = gl_LocalInvocationID.x;
  if (i < ROWS * NUM_COLS) {
    const uint r = i / NUM_COLS, t = i % NUM_COLS;
    if (row0 + r < pc.n_rows) {
      float s = 0.0;
      for (uint g = 0u; g < gl_NumSubgroups; ++g) s += partial[i * gl_NumSubgroups + g];
      y[t * pc.y_stride + pc.y_row_offset + row0 + r] = s;
    }
  }
}
