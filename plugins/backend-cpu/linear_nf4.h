// NF4 linear layers (kick::nf4_layout) with native kernels: any block size and shape (rows that
// start mid-byte, blocks that span rows), double-quantized absmax read in its decoded form.
#pragma once

#include <memory>

#include "compressed_linear.h"

namespace kick::cpu {

// The native implementation for a checked nf4_layout on kernels.isa.
std::unique_ptr<compressed_linear> make_nf4_linear(const compressed_weight& w, const kernel_set& kernels);

}  // namespace kick::cpu
