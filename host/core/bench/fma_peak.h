// The CPU's measured f32 FMA throughput: the compute ceiling that prefill (a matrix product)
// is compared with by `kickhost bench kernels`.
#pragma once

#include <string>

namespace kick {

struct fma_peak {
  double gflops = 0;   // f32 GFLOP/s over all threads (an FMA counts as 2 flops)
  std::string isa;     // the vector path measured: avx512f, avx2 or scalar
  unsigned threads = 0;
};

// Runs independent-accumulator FMA loops (enough accumulators to hide the FMA latency on two
// FMA units) on `threads` threads (0 = all hardware threads) for about `seconds` per ISA, with
// every vector path the CPU supports (chosen at run time: AVX-512F, AVX2+FMA, scalar), and
// returns the fastest.
fma_peak measure_fma_peak(unsigned threads = 0, double seconds = 0.2);

}  // namespace kick
