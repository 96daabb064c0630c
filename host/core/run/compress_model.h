// Applying a method plugin to every linear layer of a model, block by block.
#pragma once

#include <nlohmann/json.hpp>

#include "core/model/model_loader.h"
#include "kick/host.h"
#include "kick/method.h"

namespace kick {

// The names of a block's linear layers, in the order methods see them (HF naming).
inline constexpr const char* k_linear_layer_names[] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

// Converts each linear weight of `model` to an owned f32 copy, lets `m` compress it in place,
// and points the model's view at the result. Methods that need calibration statistics are
// refused before this is called (the host does not collect statistics yet).
// Returns the `compression` block of results.json: per-layer reports and global sparsity.
result<nlohmann::json> compress_model(loaded_model& model, method& m, const host& services);

}  // namespace kick
