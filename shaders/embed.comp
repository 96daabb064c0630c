// Embedding lookup over one row part of a packed table: out[t*y_stride + c] = W[tokens[t]][c]
// for the tokens whose id falls in [y_row_offset, y_row_offset + n_rows). One invocation per
// 8-column block (x of the grid), one workgroup row per token (y of the grid).
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint FORMAT_PARAM = 0;
layout(constant_id = 2) const bool VALUES_F16 = false;

#include "push/linear.h"

layout(std430, binding = 0) readonly buffer token_buffer { uint tokens[]; };
layout(std430, binding = 1) writeonly buffer out_buffer { float out_rows[]; };
#define FIRST_ARRAY_BINDING 2
#include "formats/format.glsl"

void main() {
  const uint t = gl_WorkGroupID.y;
  const uint blk = gl_GlobalInvocationID.x;
  if (t >= pc.n_tokens || blk * 8u >= pc.n_cols) return;
  const uint id = tokens[t];
  if (id < pc.y_row_offset || id - pc.y_row_offset >= pc.n_rows) return;
  float w[8];
  decode8(id - pc.y_row_offset, blk, w);
  for (uint j = 0u; j < 8u; ++j)
    if (blk * 8u + j < pc.n_cols) out_rows[t * pc.y_stride + blk * 8u + j] = w[j];
}
