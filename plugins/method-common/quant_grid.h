// GPTQ's uniform min-max quantizer grid (IST-DASLab/gptq quant.py, perchannel=True, mse=False),
// in float32 with the reference's order of operations. compression_refs.md §4.1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kick::methods {

// One row's grid: value(code) = scale * (code - zero), code in [0, maxq].
struct quant_grid {
  float scale = 1.0f;
  float zero = 0.0f;  // in code units; an integer for asym (rounded) and 2^(bits-1) for sym
};

// maxq = 2^bits - 1 as a float (the reference keeps it in a float tensor).
inline float quant_maxq(int bits) { return static_cast<float>((1 << bits) - 1); }

// find_params over n values x[0], x[stride], ...: range forced to include 0; sym widens it to
// [-max|x|, max|x|] only when the minimum is negative; an all-zero range becomes [-1, 1];
// scale = (xmax - xmin) / maxq; zero = round-half-even(-xmin / scale) (asym) or (maxq + 1) / 2 (sym).
quant_grid find_grid(const float* x, std::int64_t n, std::int64_t stride, int bits, bool sym);

// quantize(): code = clamp(round-half-even(x / scale) + zero, 0, maxq) (std::nearbyint under the
// default rounding mode is round-half-to-even, as torch.round).
inline float quant_code_f(float x, const quant_grid& g, float maxq) {
  return std::clamp(std::nearbyint(x / g.scale) + g.zero, 0.0f, maxq);
}
inline float dequant(float code, const quant_grid& g) { return g.scale * (code - g.zero); }
inline float quantize_value(float x, const quant_grid& g, float maxq) { return dequant(quant_code_f(x, g, maxq), g); }

}  // namespace kick::methods
