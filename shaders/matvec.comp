// Matrix-vector product for decode (1..8 tokens) over one row part of a packed weight:
// y[t][y_row_offset + r] = sum_c W[r][c] * x[t][c]. A workgroup owns ROWS rows; its invocations
// stride over 8-column blocks, decode weights in registers (formats/*.glsl decode8), reduce
// with subgroupAdd and then across subgroups through shared memory.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WORKGROUP = 64;
layout(constant_id = 1) const uint ROWS = 2;
layout(constant_id = 2) const uint NUM_COLS = 1;  // tokens, = n_tokens
layout(constant_id = 3) const uint FORMAT_PARAM = 0;
layout(constant_id = 4) const bool VALUES_F16 = false;

#include "push/linear.h"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 0) readonly buffer x_buffer4 { vec4 x4[]; };  // the same binding, for aligned rows
layout(std430, binding = 1) writeonly buffer y_buffer { float y[]; };
#define FIRST_ARRAY_BINDING 2
#include "formats/format.glsl"

shared float partial[ROWS * NUM_COLS * WORKGROUP];

void main() {
  const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  const uint row0 = group * ROWS;
  if (row0 >= pc.n_rows) return;  // the whole workgroup
  const uint n_blocks = (pc.n_cols + 7u) / 8u;
  const bool x_aligned = (pc.x_stride % 4u) == 0u || NUM_COLS == 1u;

  float acc[ROWS][NUM_COLS];
  for (uint r = 0u; r < ROWS; ++r)
    for (uint t = 0u; t < NUM_COLS; ++t) acc[r][t] = 0.0;

  for (uint blk = gl_LocalInvocationID.x; blk < n_blocks; blk += WORKGROUP) {
    const uint col0 = blk * 8u;
    const bool tail = col0 + 8u > pc.n_cols;
    float xv[NUM_COLS][8];
    for (uint t = 0u; t < NUM_COLS; ++t) {
      const uint at = t * pc.x_stride + col0;
      if (!tail && x_aligned) {
        const vec4 a = x4[at / 4u], b = x4[at / 4u + 1u];
        xv[t][0] = a.x; xv[t][1] = a.y; xv[t][2] = a.z; xv[t][3] = a.w;
        xv[t][4] = b.x; xv[t][5] = b.y; xv[t][6] = b.z; xv[t][7] = b.w;
      } else if (!tail) {
        for (uint j = 0u; j < 8u; ++j) xv[t][j] = x[at + j];
      } else {
        for (uint j = 0u; j < 8u; ++j) xv[t][j] = col0 + j < pc.n_cols ? x[at + j] : 0.0;
      }
    }
    for (uint r = 0u; r < ROWS; ++r) {
      if (row0 + r >= pc.n_rows) break;
      float w[8];
      decode8(row0 + r, blk, w);
      if (tail)
        for (uint j = 0u; j < 8u; ++j) w[j] = col0 + j < pc.n_cols ? w[j] : 0.0;
      for (uint t = 0u; t < NUM_COLS; ++t) {
        float sum = acc[r][t];
        for (uint j = 0u; j < 8u; ++j) sum += w[j] * xv[t][j];
        acc[r][t] = sum;
      }
    }
  }

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
