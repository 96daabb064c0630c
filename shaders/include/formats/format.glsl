// The weight format a linear shader is compiled for: one FORMAT_* define selects an include that
// declares the format's buffers (bindings FIRST_ARRAY_BINDING, ...) and
//   void decode8(uint row, uint blk, out float w[8])
// writing W[row][8*blk + j] for j < 8 (row within the part; columns past n_cols give finite
// garbage or zero, the caller masks them). Needs pc (push/linear.h) and the specialization
// constants FORMAT_PARAM (uint) and VALUES_F16 (bool) declared by the shader.
// A value stored as f32 bits or as f16 halves (two per word, the lower index in the low half).
#define KICK_VALUE_AT(array, i) \
  (VALUES_F16 ? unpackHalf2x16(array[(i) >> 1u])[(i) & 1u] : uintBitsToFloat(array[i]))

// a / b for a divisor that is not a compile-time constant, without an integer division (which
// CPU drivers scalarise): a shift when b is a power of two (`pow2`, a specialization constant),
// else a float estimate corrected to the exact quotient.
uint divide_by(uint a, uint b, bool pow2) {
  if (pow2) return a >> uint(findLSB(b));
  uint q = uint(float(a) / float(b));
  while (q * b > a) --q;
  while ((q + 1u) * b <= a) ++q;
  return q;
}

#if defined(FORMAT_F32)
#include "formats/f32.glsl"
#elif defined(FORMAT_F16)
#include "formats/f16.glsl"
#elif defined(FORMAT_BF16)
#include "formats/bf16.glsl"
#elif defined(FORMAT_Q8_0)
#include "formats/q8_0.glsl"
#elif defined(FORMAT_NM)
#include "formats/nm.glsl"
#elif defined(FORMAT_BITMAP)
#include "formats/bitmap.glsl"
#elif defined(FORMAT_GQ)
#include "formats/gq.glsl"
#elif defined(FORMAT_NF4)
#include "formats/nf4.glsl"
#elif defined(FORMAT_INT8O)
#include "formats/int8o.glsl"
#else
#error "no FORMAT_* defined"
#endif
