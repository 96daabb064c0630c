// Adds a bias vector to every row: y[t][i] += bias[i] (Qwen2's q/k/v biases).
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/add_bias.h"
#include "grid_stride.glsl"

layout(std430, binding = 0) readonly buffer bias_buffer { float bias[]; };
layout(std430, binding = 1) buffer y_buffer { float y[]; };

void main() {
  const uint n = pc.n_tokens * pc.width;
  for (uint i = grid_first(); i < n; i += grid_step()) y[i] += bias[i % pc.width];
}
