// AWQ's grouped round-to-nearest quantizer: llm-awq quantizer.py pseudo_quantize_tensor
// (compression_refs.md §4.3, second bullet), in float32 with the reference's order of operations.
#pragma once

#include <cstdint>

namespace kick::methods {

// One group's grid: value(code) = (code - zero) * scale, code in [0, 2^bits).
struct awq_grid {
  float scale = 1.0f;
  float zero = 0.0f;  // in code units, always an integer
};

// Quantizes x[0, n) in place as ONE group and returns its grid; writes each code to codes[i]
// when codes is not null.
//   zero_point = true (the reference's path): max/min of the group (NOT forced to include 0);
//     scale = max(max - min, 1e-5) / (2^bits - 1); zero = clamp(-round(min / scale), 0, 2^bits - 1);
//     code = clamp(round(x / scale) + zero, 0, 2^bits - 1).
//   zero_point = false (the reference marks it "never used" and its code cannot run: it asserts
//     on a variable before assigning it): the signed absmax grid that code evidently intends,
//     scale = max(max|x|, 1e-5) / (2^(bits-1) - 1), q = clamp(round(x / scale), -2^(bits-1),
//     2^(bits-1) - 1), stored as code = q + 2^(bits-1) with zero = 2^(bits-1).
// round() is round-half-to-even (std::nearbyint, as torch.round).
awq_grid awq_quantize_group(float* x, std::int64_t n, int bits, bool zero_point, std::uint8_t* codes);

}  // namespace kick::methods
