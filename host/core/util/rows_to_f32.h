// Widening weight rows to f32 on the host (calibration's block forward, saving): dequantize_row
// (kick/convert.h), with F16C doing f16 rows eight values an instruction where the CPU has it.
#pragma once

#include <cstdint>

#include "kick/tensor.h"

namespace kick {

// dst[0, n) = the n values of a row of `type` at src, exactly as dequantize_row gives them.
void row_to_f32(dtype type, const void* src, float* dst, std::int64_t n);

}  // namespace kick
