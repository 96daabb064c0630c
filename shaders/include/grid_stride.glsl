// Element-wise shaders cover n items with a grid-stride loop, so the host may clamp the number
// of workgroups to the device's limit: `for (uint i = grid_first(); i < n; i += grid_step())`.
#ifndef KICK_GRID_STRIDE_GLSL
#define KICK_GRID_STRIDE_GLSL

uint grid_first() { return gl_GlobalInvocationID.x; }
uint grid_step() { return gl_NumWorkGroups.x * gl_WorkGroupSize.x; }

#endif
