// The host's own f32 forward pass of one Llama decoder block, for calibration: it runs each
// calibration sequence through a block and shows the method the inputs of every linear layer.
// (Backends evaluate models; this exists because calibration needs the inputs of each linear
// layer, which the backend interface does not expose.)
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "kick/model.h"
#include "kick/status.h"

namespace kick {

// The inputs the seven linear layers see: q/k/v share one, gate/up share one.
enum class block_input : std::uint32_t { attn_norm_out = 0, attn_out = 1, ffn_norm_out = 2, ffn_act = 3 };
inline constexpr std::size_t k_n_block_inputs = 4;
block_input input_of(linear_slot slot);

// f32 copies of one decoder block's weights. The linears are what the block currently holds
// (original, or compressed and densified) and are replaced as layers get compressed.
struct block_weights {
  std::vector<float> attn_norm, ffn_norm, bq, bk, bv;
  std::array<std::vector<float>, k_n_linear_slots> linear;  // [n_out * n_in] row-major
};

// Decodes block `index` of `model` to f32 (any dtype, compressed layers densified).
block_weights load_block_weights(const model_view& model, std::int64_t index);

// The embeddings of `tokens`: [n_tokens, n_embd].
std::vector<float> embed_tokens(const model_view& model, const std::vector<std::int32_t>& tokens);

// Called with the input of a linear layer group: x [n_tokens, n_in], contiguous rows.
using block_tap = std::function<void(block_input which, const float* x, std::int64_t n_tokens, std::int64_t n_in)>;

// Runs x [n_tokens, n_embd] (positions 0..n_tokens-1, causal) through the block into out
// (same shape; may not alias x). Calls `tap` (if set) with each linear group's input.
void block_forward(const llama_config& config, const block_weights& weights, const float* x, float* out, std::int64_t n_tokens,
                   const block_tap& tap);

}  // namespace kick
