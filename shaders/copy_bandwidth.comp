// A plain copy, dst = src, to measure the device's copy bandwidth: 16-byte loads and stores for
// whole groups of four floats, then the tail one float at a time. src and dst are each bound
// twice (as vec4[] and as float[]), views of the same range.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/copy.h"
#include "grid_stride.glsl"

layout(std430, binding = 0) readonly buffer src4_buffer { vec4 src4[]; };
layout(std430, binding = 1) writeonly buffer dst4_buffer { vec4 dst4[]; };
layout(std430, binding = 0) readonly buffer src_buffer { float src[]; };
layout(std430, binding = 1) writeonly buffer dst_buffer { float dst[]; };

void main() {
  const uint n4 = pc.n_floats / 4;
  for (uint i = grid_first(); i < n4; i += grid_step()) dst4[i] = src4[i];
  const uint tail = n4 * 4 + grid_first();
  if (tail < pc.n_floats) dst[tail] = src[tail];
}
