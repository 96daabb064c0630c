// Which kernels OpenBLAS, prefill's sgemm, runs on: it picks them by CPU model when it loads,
// unless the environment's OPENBLAS_CORETYPE names others.
#pragma once

#include <string>

namespace kick {

// OpenBLAS's name for the kernels it runs ("Haswell", "SkylakeX", "Cooperlake", ...).
std::string openblas_kernels();

// A note for `kickhost bench kernels` when OPENBLAS_CORETYPE makes OpenBLAS run kernels without
// AVX-512 on a CPU that has it (F, CD, BW, DQ, VL), which roughly halves sgemm; "" otherwise.
std::string openblas_kernels_note();

}  // namespace kick
