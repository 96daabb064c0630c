// LLM.int8()-style linear layers (kick::int8_outlier_layout) with native kernels: int8 weights
// widened in registers, the row scale applied once per row, outlier columns corrected in f32. With
// int8 activations (n_cols a multiple of 32), decode runs as LLM.int8() does: x quantized per 32
// columns meets the int8 weights in integer dot products (group_quant_q8.h, codes read as q + 128
// against a zero of 128, one group per row), and the outlier columns stay f32.
#pragma once

#include <memory>

#include "compressed_linear.h"

namespace kick::cpu {

// The native implementation for a checked int8_outlier_layout on kernels.isa.
std::unique_ptr<compressed_linear> make_int8_outlier_linear(const compressed_weight& w, const kernel_set& kernels,
                                                             activation_type activations = activation_type::f32);

}  // namespace kick::cpu
