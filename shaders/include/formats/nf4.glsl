// NF4: codes repacked one word per 8 columns (nibble j = column 8*blk + j), rows of row_words
// words; the second array holds the 16 table values then the absmax of every block the part
// touches. Blocks run over the flattened whole matrix: element [r][c] of the part is flat index
// flat_offset + r*n_cols + c counted from the part's first block (group_size = block size).
// W = table[code] * absmax[block], as kick::densify_row. FORMAT_PARAM: 1 = block size >= 8,
// 2 = block size a power of two.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_nf4_codes { uint nf4_codes[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_nf4_absmax { float nf4_table_absmax[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uint codes = nf4_codes[row * pc.row_words + blk];
  const uint at = pc.flat_offset + row * pc.n_cols + blk * 8u;
  const bool pow2 = (FORMAT_PARAM & 2u) != 0u;
  const uint block0 = divide_by(at, pc.group_size, pow2);
  const uint within = at - block0 * pc.group_size;
  if ((FORMAT_PARAM & 1u) != 0u) {  // the 8 columns touch at most two blocks (the array is padded past the last)
    const float first = nf4_table_absmax[16u + block0], second = nf4_table_absmax[17u + block0];
    for (uint j = 0u; j < 8u; ++j)
      w[j] = nf4_table_absmax[(codes >> (4u * j)) & 15u] * (within + j < pc.group_size ? first : second);
  } else {
    for (uint j = 0u; j < 8u; ++j)
      w[j] = nf4_table_absmax[(codes >> (4u * j)) & 15u] * nf4_table_absmax[16u + block0 + divide_by(within + j, pc.group_size, pow2)];
  }
}
