// Dense f32: rows of row_words = n_cols rounded up to 8 floats (zero padded), as vec4 pairs.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_f32 { vec4 weights[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uint at = row * (pc.row_words / 4u) + blk * 2u;
  const vec4 a = weights[at], b = weights[at + 1u];
  w[0] = a.x; w[1] = a.y; w[2] = a.z; w[3] = a.w;
  w[4] = b.x; w[5] = b.y; w[6] = b.z; w[7] = b.w;
}
