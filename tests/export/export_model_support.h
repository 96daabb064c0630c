// Helpers of the export suite: compressing a model's layers in a test, and running it on the cpu backend.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model/model_loader.h"

namespace kick::test {

// Replaces block `block`'s `slot` weight by a compressed layout encoding its values:
// "nm" (2:4, the 2 largest |w| of every 4), "bitmap" (|w| < 0.05 zeroed), "quant-4" (RTN 4-bit,
// groups of 32), "quant-3-act-order" (3-bit, g_idx and an input scale), "nf4", "nf4-double",
// "int8" (two outlier columns).
void compress_layer_for_test(loaded_model& model, std::size_t block, linear_slot slot, const std::string& kind);

// Checks that two safetensors files hold the same tensors, byte for byte (metadata may differ).
void check_same_tensors(const std::filesystem::path& a, const std::filesystem::path& b);

// Logits of every position of `tokens` through the cpu backend (1 thread).
std::vector<float> cpu_logits(const loaded_model& model, const std::vector<std::int32_t>& tokens);

}  // namespace kick::test
