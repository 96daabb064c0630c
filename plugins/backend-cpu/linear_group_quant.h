// Group-quantized linear layers (kick::group_quant_layout) with native kernels: 2, 3, 4 and 8 bits,
// any group size, act-order (g_idx) and AWQ's input_scale.
#pragma once

#include <memory>

#include "compressed_linear.h"

namespace kick::cpu {

// The native implementation for a checked group_quant_layout on kernels.isa, or nullptr when its
// bit width has no native kernels (the caller then uses the generic implementation).
// Act-order layers keep a copy of their codes sorted by group (the size of `packed`). With int8
// activations, 2/4/8-bit layers whose columns are a multiple of 32 with every 32 columns in one
// group decode with the int8-activation kernels (group_quant_q8.h); others read f32 activations.
std::unique_ptr<compressed_linear> make_group_quant_linear(const compressed_weight& w, const kernel_set& kernels,
                                                           activation_type activations = activation_type::f32);

}  // namespace kick::cpu
