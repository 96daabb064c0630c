// int8 with outlier columns (LLM.int8()): int8 codes four per word (rows of row_words words),
// f32 row scales, per 8-column block (bit j set: column 8*blk + j is an outlier; the block's
// first outlier slot), outlier values (rows of aux_stride = n_outliers). FORMAT_PARAM: 1 = any
// outliers.
// W[r][c] = slot[c] >= 0 ? outliers[r][slot[c]] : q[r][c] * row_scale[r], as kick::densify_row.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_int8o_codes { uvec2 i8_codes[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_int8o_scales { float i8_row_scale[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 2) readonly buffer weight_int8o_blocks { uvec2 i8_block_outliers[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 3) readonly buffer weight_int8o_outliers { float i8_outliers[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uvec2 q = i8_codes[row * (pc.row_words / 2u) + blk];
  const float s = i8_row_scale[row];
  for (uint j = 0u; j < 4u; ++j) {
    w[j] = float(bitfieldExtract(int(q.x), int(8u * j), 8)) * s;
    w[4u + j] = float(bitfieldExtract(int(q.y), int(8u * j), 8)) * s;
  }
  if (FORMAT_PARAM == 0u) return;
  const uvec2 outliers = i8_block_outliers[blk];  // (mask, first slot)
  if (outliers.x == 0u) return;
  for (uint j = 0u; j < 8u; ++j)
    if (((outliers.x >> j) & 1u) != 0u)
      w[j] = i8_outliers[row * pc.aux_stride + outliers.y + bitCount(outliers.x & ((1u << j) - 1u))];
}
