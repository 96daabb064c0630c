// Deterministic Gaussian weights for synthetic models, produced chunk by chunk.
//
// Element e of a stream is a pure function of (key, e): 16 bits of splitmix64(key, e / 4) pick one
// of 65536 equiprobable quantiles of the normal distribution (the midpoints (i + 0.5) / 65536 of
// its CDF, so the tails reach +-4.3 sigma), scaled by stddev and stored in the target dtype. The
// values thus do not depend on chunk boundaries or threads, and a stream costs one table lookup
// per element.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kick/tensor.h"

namespace kick {

// A stream key from a seed and a name (e.g. the tensor's), so that a tensor's values depend on
// neither the other tensors nor their order.
std::uint64_t gaussian_stream_key(std::uint64_t seed, std::string_view name);

// Writes elements [first_element, first_element + out.size() / element size) of stream `key`,
// N(0, stddev^2) quantised as above, into `out` as `type` (f32, f16 or bf16; out.size() a
// multiple of the element size). Thread-safe.
void fill_gaussian(std::span<std::byte> out, dtype type, float stddev, std::uint64_t key, std::uint64_t first_element);

// Writes `value` into every element of `out` as `type` (f32, f16 or bf16).
void fill_constant(std::span<std::byte> out, dtype type, float value);

}  // namespace kick
