// GGML q8_0 repacked: int8 codes four per word (lower column in the low byte), rows of
// row_words = n_cols/4 words; f32 block scales d (decoded from the f16), rows of aux_stride =
// n_cols/32. W[r][c] = d[r][c/32] * q[r][c], as kick::dequantize_row.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_q8 { uvec2 codes[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_q8_scales { float scales[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uvec2 q = codes[row * (pc.row_words / 2u) + blk];
  const float d = scales[row * pc.aux_stride + blk / 4u];
  for (uint j = 0u; j < 4u; ++j) {
    w[j] = d * float(bitfieldExtract(int(q.x), int(8u * j), 8));
    w[4u + j] = d * float(bitfieldExtract(int(q.y), int(8u * j), 8));
  }
}
