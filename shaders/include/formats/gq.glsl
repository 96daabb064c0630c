// Group-quantized (FORMAT_PARAM = bits (1..8) | flags << 8): kick's packed codes as-is (rows of row_words
// words, little-endian bit stream, 3 zero words after the last row), f32 (scale, zero) pairs
// (rows of aux_stride = n_groups), g_idx (int per column, flags & 1) and input_scale (per column,
// flags & 2), both padded to a multiple of 8 columns. flags & 4: no g_idx and group_size a
// multiple of 8, so a block has one group; flags & 8: group_size is a power of two.
// W[r][c] = scales[r][g] * (q - zeros[r][g]) / input_scale[c], as kick::densify_row.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_gq_codes { uint gq_codes[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_gq_scale_zero { vec2 gq_scale_zero[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 2) readonly buffer weight_gq_gidx { int gq_gidx[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 3) readonly buffer weight_gq_input_scale { float gq_input_scale[]; };

const uint GQ_BITS = FORMAT_PARAM & 0xffu;
const bool GQ_G_IDX = (FORMAT_PARAM & 0x100u) != 0u;
const bool GQ_INPUT_SCALE = (FORMAT_PARAM & 0x200u) != 0u;
const bool GQ_BLOCK_GROUPS = (FORMAT_PARAM & 0x400u) != 0u;
const bool GQ_POW2_GROUPS = (FORMAT_PARAM & 0x800u) != 0u;
const uint GQ_MASK = (1u << GQ_BITS) - 1u;

// Code j of the 64-bit window lo:hi.
uint gq_code(uint lo, uint hi, uint j) {
  const uint at = j * GQ_BITS;
  if (at + GQ_BITS <= 32u) return (lo >> at) & GQ_MASK;
  if (at >= 32u) return (hi >> (at - 32u)) & GQ_MASK;
  return ((lo >> at) | (hi << (32u - at))) & GQ_MASK;
}

void decode8(uint row, uint blk, out float w[8]) {
  const uint bit = blk * 8u * GQ_BITS;  // a multiple of 8: the window starts inside the word
  const uint word = row * pc.row_words + bit / 32u;
  const uint shift = bit % 32u;
  uint lo, hi;
  if (32u % GQ_BITS == 0u) {  // 1, 2, 4, 8 bits: the 8 codes fill (part of) one word, or two whole words
    lo = gq_codes[word] >> shift;
    hi = GQ_BITS == 8u ? gq_codes[word + 1u] : 0u;
  } else {
    const uint w0 = gq_codes[word], w1 = gq_codes[word + 1u], w2 = gq_codes[word + 2u];
    lo = shift == 0u ? w0 : (w0 >> shift) | (w1 << (32u - shift));
    hi = shift == 0u ? w1 : (w1 >> shift) | (w2 << (32u - shift));
  }
  const uint col0 = blk * 8u;
  const uint scale_row = row * pc.aux_stride;
  if (GQ_BLOCK_GROUPS) {
    const uint g = scale_row + divide_by(col0, pc.group_size, GQ_POW2_GROUPS);
    const vec2 sz = gq_scale_zero[g];
    for (uint j = 0u; j < 8u; ++j) w[j] = sz.x * (float(int(gq_code(lo, hi, j))) - sz.y);
  } else {
    for (uint j = 0u; j < 8u; ++j) {
      const uint c = col0 + j;
      const uint g = scale_row + (GQ_G_IDX ? uint(gq_gidx[c]) : min(divide_by(c, pc.group_size, GQ_POW2_GROUPS), pc.aux_stride - 1u));
      const vec2 sz = gq_scale_zero[g];
      w[j] = sz.x * (float(int(gq_code(lo, hi, j))) - sz.y);
    }
  }
  if (GQ_INPUT_SCALE)
    for (uint j = 0u; j < 8u; ++j) w[j] = w[j] / gq_input_scale[col0 + j];
}
