// bitsandbytes' 8-bit signed dynamic quantization map, create_dynamic_map(signed=True,
// max_exponent_bits=7, total_bits=8), used by double quantization (compression_refs.md §6).
#pragma once

#include <array>
#include <cstdint>

namespace kick::methods {

// The 256 values, ascending. Construction (facts of bitsandbytes functional.py): for exponent
// i = 0..6, the 2^i midpoints of torch.linspace(0.1, 1, 2^i + 1) in float32, times 10^(i-6)
// (float32 product), each with both signs; then 0 and 1.0; sorted. torch.linspace is emulated
// with its scalar formula (start + step*k for the first half, end - step*(steps-1-k) after it);
// torch's vectorized path may differ from it in the last bit of a few values.
const std::array<float, 256>& signed_dynamic_map();

// Index of the map value nearest to `scaled` (|scaled - map[k]| in float32), the lower index on
// a tie (torch.argmin returns the first minimum).
std::uint8_t dynamic_map_code(float scaled);

}  // namespace kick::methods
