// Log-softmax at the target and greedy argmax of each logits row, one workgroup per token:
// a max/argmax pass, then a sum of exp(logit - max) pass. Ties in the argmax go to the lowest
// index; a target not below n_vocab gives NaN.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;
#include "push/logprob.h"
#include "workgroup_reduce.glsl"

layout(std430, binding = 0) readonly buffer logits_buffer { float logits[]; };
layout(std430, binding = 1) readonly buffer targets_buffer { uint targets[]; };
layout(std430, binding = 2) writeonly buffer logprob_buffer { float out_logprob[]; };
layout(std430, binding = 3) writeonly buffer argmax_buffer { uint out_argmax[]; };

void main() {
  const uint t = gl_WorkGroupID.x;
  const uint lid = gl_LocalInvocationID.x;
  const uint base = t * pc.n_vocab;
  float best = -3.402823466e38;
  uint best_index = 0xffffffffu;
  for (uint j = lid; j < pc.n_vocab; j += WG) {
    const float v = logits[base + j];
    if (best_index == 0xffffffffu || v > best) {
      best = v;
      best_index = j;
    }
  }
  best_index = workgroup_argmax(best, best_index);
  float sum = 0.0;
  for (uint j = lid; j < pc.n_vocab; j += WG) sum += exp(logits[base + j] - best);
  sum = workgroup_sum(sum);
  if (lid == 0) {
    const uint target = targets[t];
    out_logprob[t] = target < pc.n_vocab ? logits[base + target] - best - log(sum) : uintBitsToFloat(0x7fc00000u);
    out_argmax[t] = best_index;
  }
}
