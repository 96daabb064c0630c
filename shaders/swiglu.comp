// SwiGLU gating in place: gate = silu(gate) * up, as the CPU backend writes it.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
#include "push/swiglu.h"
#include "grid_stride.glsl"

layout(std430, binding = 0) buffer gate_buffer { float gate[]; };
layout(std430, binding = 1) readonly buffer up_buffer { float up[]; };

void main() {
  for (uint i = grid_first(); i < pc.n_elements; i += grid_step()) {
    const float g = gate[i];
    gate[i] = g / (1.0 + exp(-g)) * up[i];
  }
}
