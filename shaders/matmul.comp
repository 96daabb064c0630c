// Tiled matrix product for prefill (more than 8 tokens) over one row part of a packed weight:
// y[t][y_row_offset + r] = sum_c W[r][c] * x[t][c]. A workgroup of 64 owns a 32-row x 32-token
// output tile, each invocation 4x4 of it; per 32-column step the weights are decoded
// (formats/*.glsl decode8) and the activations loaded into shared memory. Tails are zero-filled.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WORKGROUP = 64;  // must be 64
layout(constant_id = 1) const uint FORMAT_PARAM = 0;
layout(constant_id = 2) const bool VALUES_F16 = false;

#include "push/linear.h"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 1) writeonly buffer y_buffer { float y[]; };
#define FIRST_ARRAY_BINDING 2
#include "formats/format.glsl"

const uint BM = 32u, BN = 32u, BK = 32u;
shared float w_tile[BK][BM + 1u];
shared float x_tile[BK][BN + 1u];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint tx = tid % 8u, ty = tid / 8u;
  const uint row_base = gl_WorkGroupID.x * BM;
  const uint token_base = gl_WorkGroupID.y * BN;
  const uint n_blocks = (pc.n_cols + 7u) / 8u;

  float acc[4][4];
  for (uint i = 0u; i < 4u; ++i)
    for (uint j = 0u; j < 4u; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0u; k0 < pc.n_cols; k0 += BK) {
    for (uint item = tid; item < BM * (BK / 8u); item += 64u) {
      const uint r = item / (BK / 8u), b = item % (BK / 8u);
      const uint row = row_base + r, blk = k0 / 8u + b;
      float w[8];
      if (row < pc.n_rows && blk < n_blocks) {
        decode8(row, blk, w);
        for (uint j = 0u; j < 8u; ++j) w[j] = blk * 8u + j < pc.n_cols ? w[j] : 0.0;
      } else {
        for (uint j = 0u; j < 8u; ++j) w[j] = 0.0;
      }
      for (uint j = 0u; j < 8u; ++j) w_tile[b * 8u + j][r] = w[j];
    }
    for (uint item = tid; item < BN * BK; item += 64u) {
      const uint t = item / BK, c = item % BK;
      const uint token = token_base + t, col = k0 + c;
      x_tile[c][t] = token < pc.n_tokens && col < pc.n_cols ? x[token * pc.x_stride + col] : 0.0;
    }
    barrier();
    for (uint k = 0u; k < BK; ++k) {
      float a[4], b[4];
      for (uint i = 0u; i < 4u; ++i) a[i] = w_tile[k][tx + 8u * i];
      for (uint j = 0u; j < 4u; ++j) b[j] = x_tile[k][ty + 8u * j];
      for (uint i = 0u; i < 4u; ++i)
        for (uint j = 0u; j < 4u; ++j) acc[i][j] += a[i] * b[j];
    }
    barrier();
  }

  for (uint i = 0u; i < 4u; ++i)
    for (uint j = 0u; j < 4u; ++j) {
      const uint row = row_base + tx + 8u * i, token = token_base + ty + 8u * j;
      if (row < pc.n_rows && token < pc.n_tokens) y[token * pc.y_stride + pc.y_row_offset + row] = acc[i][j];
    }
}
