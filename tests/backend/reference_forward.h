// A naive scalar Llama forward pass for checking backends: plain loops, double accumulation,
// no cache, no threads, written independently of any backend's code.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kick/model.h"

namespace kick::test {

// Logits of every position for `tokens` at positions 0..n-1, row-major [n_tokens][n_vocab].
// Weights are read through kick::dequantize_row (the same f32 values every backend sees).
std::vector<double> reference_forward(const model_view& model, std::span<const std::int32_t> tokens);

// Index of the largest value in [begin, begin + n) (the first one on ties).
std::int64_t reference_argmax(const float* begin, std::int64_t n);

}  // namespace kick::test
