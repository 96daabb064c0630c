// N:M sparse (FORMAT_PARAM = n | m << 8, m in 1, 2, 4, 8). A block of 8 columns holds 8/m groups
// of n (value, index-in-group) pairs: K = 8/m*n pairs. Values: rows of row_words values
// (f32 bits, or f16 halves with VALUES_F16), block blk's at row*row_words + blk*K. Indices: IB
// bits each (1, 1, 2, 4 for m = 1, 2, 4, 8), a block's K*IB bits padded to a power of two BB and
// never straddling a word; rows of aux_stride words.
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_nm_values { uint nm_values[]; };
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_nm_values2 { uvec2 nm_values2[]; };  // the same binding
layout(std430, binding = FIRST_ARRAY_BINDING) readonly buffer weight_nm_values4 { uvec4 nm_values4[]; };
layout(std430, binding = FIRST_ARRAY_BINDING + 1) readonly buffer weight_nm_indices { uint nm_indices[]; };

const uint NM_N = FORMAT_PARAM & 0xffu;
const uint NM_M = FORMAT_PARAM >> 8u;
const uint NM_K = (8u / NM_M) * NM_N;
const uint NM_IB = NM_M == 8u ? 4u : (NM_M == 4u ? 2u : 1u);
const uint NM_BITS = NM_K * NM_IB;
const uint NM_BB = NM_BITS <= 1u ? 1u : (NM_BITS <= 2u ? 2u : (NM_BITS <= 4u ? 4u : (NM_BITS <= 8u ? 8u : (NM_BITS <= 16u ? 16u : 32u))));

void decode8(uint row, uint blk, out float w[8]) {
  for (uint j = 0u; j < 8u; ++j) w[j] = 0.0;
  const uint bit = blk * NM_BB;
  const uint index_bits = nm_indices[row * pc.aux_stride + bit / 32u] >> (bit % 32u);
  const uint base = row * pc.row_words + blk * NM_K;
  float v4[4];  // 1:2, 2:4 and 4:8 keep 4 values per block, in one aligned load
  if (NM_K == 4u) {
    if (VALUES_F16) {
      const uvec2 h = nm_values2[base / 4u];
      v4[0] = unpackHalf2x16(h.x).x; v4[1] = unpackHalf2x16(h.x).y; v4[2] = unpackHalf2x16(h.y).x; v4[3] = unpackHalf2x16(h.y).y;
    } else {
      const vec4 f = uintBitsToFloat(nm_values4[base / 4u]);
      v4[0] = f.x; v4[1] = f.y; v4[2] = f.z; v4[3] = f.w;
    }
  }
  for (uint g = 0u; g < 8u / NM_M; ++g) {
    for (uint n = 0u; n < NM_N; ++n) {
      const uint k = g * NM_N + n;
      const float v = NM_K == 4u ? v4[k % 4u] : KICK_VALUE_AT(nm_values, base + k);
      const uint i = bitfieldExtract(index_bits, int(k * NM_IB), int(NM_IB));
      for (uint j = 0u; j < NM_M; ++j) w[g * NM_M + j] = i == j ? v : w[g * NM_M + j];
    }
  }
}
