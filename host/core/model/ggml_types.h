// GGML tensor type ids as stored in GGUF files: block geometry of every type ggml defines,
// so that files holding types kick cannot compute with still parse (and say which type it is).
#pragma once

#include <cstdint>
#include <optional>

#include "kick/tensor.h"

namespace kick {

inline constexpr std::uint32_t k_ggml_f32 = 0;
inline constexpr std::uint32_t k_ggml_f16 = 1;
inline constexpr std::uint32_t k_ggml_q8_0 = 8;
inline constexpr std::uint32_t k_ggml_bf16 = 30;

struct ggml_type_traits {
  std::uint32_t id;
  const char* name;
  std::uint64_t block_elements;
  std::uint64_t block_bytes;
};

// The traits of a GGML type id, or nullptr for an id ggml does not (or no longer) define.
const ggml_type_traits* find_ggml_type(std::uint32_t id);

// The kick dtype of a GGML type id, when kick computes with it (f32, f16, q8_0, bf16).
std::optional<dtype> dtype_from_ggml(std::uint32_t id);
std::uint32_t ggml_from_dtype(dtype type);

}  // namespace kick
