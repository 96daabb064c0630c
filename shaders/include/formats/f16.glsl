// Dense f16: rows of row_words = n_cols/2 rounded up to 4 words (zero padded); one uvec4 holds
// 8 halves, the lower column in the low half of each word.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_f16 { uvec4 weights[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uvec4 h = weights[row * (pc.row_words / 4u) + blk];
  const vec2 a = unpackHalf2x16(h.x), b = unpackHalf2x16(h.y), c = unpackHalf2x16(h.z), d = unpackHalf2x16(h.w);
  w[0] = a.x; w[1] = a.y; w[2] = b.x; w[3] = b.y;
  w[4] = c.x; w[5] = c.y; w[6] = d.x; w[7] = d.y;
}
