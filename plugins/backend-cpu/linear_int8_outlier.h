// LLM.int8()-style linear layers (kick::int8_outlier_layout) with native kernels: int8 weights
// widened in registers, the row scale applied once per row, outlier columns corrected in f32.
#pragma once

#include <memory>

#include "compressed_linear.h"

namespace kick::cpu {

// The native implementation for a checked int8_outlier_layout on kernels.isa.
std::unique_ptr<compressed_linear> make_int8_outlier_linear(const compressed_weight& w, const kernel_set& kernels);

}  // namespace kick::cpu
