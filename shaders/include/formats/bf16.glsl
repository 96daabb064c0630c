// Dense bf16: as f16.glsl, each half being the upper 16 bits of an f32.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_bf16 { uvec4 weights[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uvec4 h = weights[row * (pc.row_words / 4u) + blk];
  w[0] = uintBitsToFloat(h.x << 16u); w[1] = uintBitsToFloat(h.x & 0xffff0000u);
  w[2] = uintBitsToFloat(h.y << 16u); w[3] = uintBitsToFloat(h.y & 0xffff0000u);
  w[4] = uintBitsToFloat(h.z << 16u); w[5] = uintBitsToFloat(h.z & 0xffff0000u);
  w[6] = uintBitsToFloat(h.w << 16u); w[7] = uintBitsToFloat(h.w & 0xffff0000u);
}
