// Timing the CPU backend's linear-layer kernel and the machine's copy bandwidth for `kickhost bench kernels`.
#pragma once

#include <cstdint>

#include "compressed_linear.h"
#include "kernels.h"
#include "kick/backend.h"

namespace kick::cpu {

// y = x W^T on n_tokens random rows through matmul (the runner's path): `warmup` untimed runs,
// then `repeats` timed ones. Compressed weights run their own kernels, as in the runner. Before
// each product the caches are flushed (a buffer of 4x the last-level cache, at least 64 MiB, is
// read), so decode products read their weights from memory, as in a model's decode step.
result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats, const kernel_set& kernels,
                                  int n_threads, linear_options linear);

// (bytes read + bytes written) per second of a 256 MiB copy split over n_threads threads, best of five.
double copy_bandwidth(int n_threads);

}  // namespace kick::cpu
