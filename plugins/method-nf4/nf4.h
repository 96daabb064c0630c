// NF4 (bitsandbytes quantize_4bit with quant_type "nf4"), compression_refs.md §6:
//   the weight is flattened row-major and cut into blocks of block_size consecutive elements (a
//   trailing partial block gets its own absmax); absmax = max |x| per block (float32);
//   scaled = clamp(x * (1 / absmax), -1, 1) (multiplication by the reciprocal, as bitsandbytes);
//   code = nearest NF4 value, a value exactly on a midpoint going to the lower code
//   (kick::nf4_code); two codes per byte, the even flat index in the high nibble.
//   Double quantization (compress_statistics): offset = mean(absmax); absmax - offset quantized
//   blockwise (256) with the signed 8-bit dynamic map (nearest value, lower code on a tie, the
//   same reciprocal scaling); decoded absmax = map[code] * absmax2[block] + offset. The 4-bit
//   codes are chosen with the exact absmax (bitsandbytes quantizes first, then compresses the
//   statistics); the layer is dequantized with the decoded absmax.
// A block whose absmax is 0 (all zeros) would make bitsandbytes multiply 0 by 1/0 (NaN); kick
// gives its elements the code of 0.0 (and a double-quant block of identical absmax values the
// map's 0), so the layer decodes to exactly those zeros.
#pragma once

#include <cstdint>

#include "kick/method.h"
#include "kick/params.h"

namespace kick::methods {

struct nf4_params {
  std::int64_t block_size = 64;
  bool double_quant = false;
};

inline constexpr std::int64_t k_nf4_absmax_block_size = 256;

// block_size must be a power of two in 32..4096 (what bitsandbytes accepts).
result<nf4_params> parse_nf4_params(const param_map& params);

// Leaves the dequantized layer in `weight` and returns its nf4_layout.
result<method_output> nf4_compress(const matrix_f32& weight, const nf4_params& p);

}  // namespace kick::methods
