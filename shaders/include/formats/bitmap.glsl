// Unstructured sparse: per row, row_words 32-bit bitmap words (bit c%32 of word c/32 set iff
// W[r][c] != 0); the part's non-zero values in row-major order (f32 bits, or f16 halves with
// VALUES_F16), padded by 8; each row's first value index; and per bitmap word the count of set
// bits before it in its row, as u16 halves (word index even = low half).
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_bitmap_values { uint bm_values[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_bitmap_bits { uint bm_bits[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 2) readonly buffer weight_bitmap_rows { uint bm_row_offsets[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 3) readonly buffer weight_bitmap_prefix { uint bm_prefix[]; };

void decode8(uint row, uint blk, out float w[8]) {
  const uint word = row * pc.row_words + blk / 4u;
  const uint bits = bm_bits[word];
  const uint shift = (blk % 4u) * 8u;
  const uint byte_bits = (bits >> shift) & 0xffu;
  const uint before = (bm_prefix[word >> 1u] >> ((word & 1u) * 16u)) & 0xffffu;
  const uint first = bm_row_offsets[row] + before + bitCount(bits & ((1u << shift) - 1u));
  for (uint j = 0u; j < 8u; ++j) {
    const float v = KICK_VALUE_AT(bm_values, first + bitCount(byte_bits & ((1u << j) - 1u)));
    w[j] = ((byte_bits >> j) & 1u) != 0u ? v : 0.0;
  }
}
