// Tiled matrix product for prefill (more than 8 tokens) over one row part of a packed weight:
// y[t][y_row_offset + r] = sum_c W[r][c] * x[t][c]. A workgroup of 64 owns a 64-row x 64-token
// output tile, each invocation 8 x 8 of it (rows 4*tx + {0..3} and 32 + 4*tx + {0..3}, tokens
// likewise from ty). Per 32-column step the weights are decoded (formats/*.glsl decode8) and
// the activations loaded into shared memory as vec4 columns. Tails are zero-filled.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WORKGROUP = 64;  // must be 64
layout(constant_id = 1) const uint FORMAT_PARAM = 0;
layout(constant_id = 2) const bool VALUES_F16 = false;
layout(constant_id = 3) const bool X_ALIGNED = false;  // x_stride % 4 == 0: x read as vec4

#include "push/linear.h"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 0) readonly buffer x_buffer4 { vec4 x4[]; };  // the same binding, for aligned rows
layout(std430, binding = 1) writeonly buffer y_buffer { float y[]; };
#define FIRST_ARRAY_BINDING 2
#include "formats/format.glsl"

const uint BM = 64u, BN = 64u, BK = 32u;
shared vec4 w_tile[BK][BM / 4u];  // [column][row / 4]
shared vec4 x_tile[BK][BN / 4u];  // [column][token / 4]

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint tx = tid % 8u, ty = tid / 8u;
  const uint row_base = gl_WorkGroupID.x * BM;
  const uint token_base = gl_WorkGroupID.y * BN;
  const uint n_blocks = (pc.n_cols + 7u) / 8u;

  vec4 acc[2][8];  // [row half][token]: 4 rows each
  for (uint h = 0u; h < 2u; ++h)
    for (uint j = 0u; j < 8u; ++j) acc[h][j] = vec4(0.0);

  for (uint k0 = 0u; k0 < pc.n_cols; k0 += BK) {
    // Weights: BM rows x BK/8 blocks, 4 per invocation.
    for (uint item = tid; item < BM * (BK / 8u); item += 64u) {
      const uint r = item % BM, b = item / BM;
      const uint row = row_base + r, blk = k0 / 8u + b;
      float w[8];
      if (row < pc.n_rows && blk < n_blocks) {
        decode8(row, blk, w);
        for (uint j = 0u; j < 8u; ++j) w[j] = blk * 8u + j < pc.n_cols ? w[j] : 0.0;
      } else {
        for (uint j = 0u; j < 8u; ++j) w[j] = 0.0;
      }
      for (uint j = 0u; j < 8u; ++j) w_tile[b * 8u + j][r / 4u][r % 4u] = w[j];
    }
    // Activations: BN tokens x BK columns, as 8 vec4 per token row when aligned.
    for (uint item = tid; item < BN * (BK / 4u); item += 64u) {
      const uint t = item % BN, q = item / BN;
      const uint token = token_base + t, col = k0 + 4u * q;
      vec4 v = vec4(0.0);
      if (token < pc.n_tokens) {
        const uint at = token * pc.x_stride + col;
        if (X_ALIGNED && col + 4u <= pc.n_cols) {
          v = x4[at / 4u];
        } else {
          for (uint j = 0u; j < 4u; ++j) v[j] = col + j < pc.n_cols ? x[at + j] : 0.0;
        }
      }
      for (uint j = 0u; j < 4u; ++j) x_tile[4u * q + j][t / 4u][t % 4u] = v[j];
    }
    barrier();
    for (uint k = 0u; k < BK; ++k) {
      const vec4 a0 = w_tile[k][tx], a1 = w_tile[k][tx + 8u];
      const vec4 b0 = x_tile[k][ty], b1 = x_tile[k][ty + 8u];
      for (uint j = 0u; j < 4u; ++j) {
        acc[0][j] += a0 * b0[j];
        acc[1][j] += a1 * b0[j];
        acc[0][4u + j] += a0 * b1[j];
        acc[1][4u + j] += a1 * b1[j];
      }
    }
    barrier();
  }

  for (uint h = 0u; h < 2u; ++h)
    for (uint j = 0u; j < 8u; ++j) {
      const uint token = token_base + (j < 4u ? 4u * ty + j : 32u + 4u * ty + (j - 4u));
      if (token >= pc.n_tokens) continue;
      for (uint i = 0u; i < 4u; ++i) {
        const uint row = row_base + 32u * h + 4u * tx + i;
        if (row < pc.n_rows) y[token * pc.y_stride + pc.y_row_offset + row] = acc[h][j][i];
      }
    }
}
