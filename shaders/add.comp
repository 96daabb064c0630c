// Residual add: y += x, element-wise.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/add.h"

layout(std430, binding = 0) readonly buffer x_buffer { float x[]; };
layout(std430, binding = 1) buffer y_buffer { float y[]; };

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i < pc.n_elements) y[i] += x[i];
}
