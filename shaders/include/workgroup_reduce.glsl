// Sums, maxima and arg-maxima over one workgroup, for any subgroup size: each subgroup reduces
// with subgroup arithmetic, writes one value to shared memory, and every invocation then reads
// the per-subgroup values back. Every invocation of the workgroup must call these in uniform
// control flow; each returns the result to all invocations and ends with a barrier, so the
// scratch may be reused at once.
//
// The including shader declares `layout(constant_id = 0) const uint WG` (its workgroup size)
// before including this file.
#ifndef KICK_WORKGROUP_REDUCE_GLSL
#define KICK_WORKGROUP_REDUCE_GLSL

#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

shared float reduce_values[WG];
shared uint reduce_indices[WG];

float workgroup_sum(float v) {
  v = subgroupAdd(v);
  if (subgroupElect()) reduce_values[gl_SubgroupID] = v;
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; ++i) total += reduce_values[i];
  barrier();
  return total;
}

float workgroup_max(float v) {
  v = subgroupMax(v);
  if (subgroupElect()) reduce_values[gl_SubgroupID] = v;
  barrier();
  float best = reduce_values[0];
  for (uint i = 1; i < gl_NumSubgroups; ++i) best = max(best, reduce_values[i]);
  barrier();
  return best;
}

// The largest v over the workgroup and, among the invocations holding it, the smallest index.
// Returns the index; `v` becomes the maximum.
uint workgroup_argmax(inout float v, uint index) {
  const float sub_best = subgroupMax(v);
  const uint sub_index = subgroupMin(v == sub_best ? index : 0xffffffffu);
  if (subgroupElect()) {
    reduce_values[gl_SubgroupID] = sub_best;
    reduce_indices[gl_SubgroupID] = sub_index;
  }
  barrier();
  float best = reduce_values[0];
  uint best_index = reduce_indices[0];
  for (uint i = 1; i < gl_NumSubgroups; ++i) {
    const float value = reduce_values[i];
    const uint at = reduce_indices[i];
    if (value > best || (value == best && at < best_index)) {
      best = value;
      best_index = at;
    }
  }
  barrier();
  v = best;
  return best_index;
}

#endif
