// Timing single kernels on the device for `kickhost bench`: a linear layer in any format, and a
// large copy that gives the device's memory bandwidth.
#pragma once

#include <cstdint>

#include "kick/backend.h"
#include "vk_session.h"

namespace kick::vk {

// Uploads `weight`, fills n_tokens random activation rows, runs `warmup` untimed products and
// `repeats` timed ones (device timestamps around the dispatches; wall clock where the queue has
// no timestamps).
result<kernel_timing> time_linear(session& s, const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats);

// (bytes read + bytes written) per second of a shader copying a 256 MiB buffer (less where the
// binding limit is lower), best of several runs.
result<double> copy_bandwidth(session& s);

}  // namespace kick::vk
