// Checking a model_view before the CPU backend runs it, and the small tensors (norms, biases)
// it keeps as f32. The large matrices are read in place from the view, never copied.
#pragma once

#include <cstdint>
#include <vector>

#include "kick/model.h"
#include "kick/status.h"

namespace kick::cpu {

struct layer_vectors {
  std::vector<float> attn_norm;   // [n_embd]
  std::vector<float> ffn_norm;    // [n_embd]
  std::vector<float> bq, bk, bv;  // empty unless config.qkv_bias
};

struct model_vectors {
  std::vector<layer_vectors> layers;
  std::vector<float> output_norm;  // [n_embd]
  // f32 copies of the compressed linear layers (see densify_compressed); the view points at them.
  std::vector<std::vector<float>> decoded_linears;
};

// Returns `model` with every compressed linear layer (kick/formats.h) decoded to an f32 matrix
// stored in `storage`; the layout is checked first (invalid_argument names the layer). This
// backend executes compressed layers by decoding them once at load: correct for every layout,
// costing f32 memory; native sparse and low-bit kernels are later work.
result<model_view> densify_compressed(const model_view& model, std::vector<std::vector<float>>& storage);

// Converts the norms and biases of a checked model to f32.
model_vectors convert_vectors(const model_view& model);

// Bytes of every linear weight (all layers, and the output projection) one decoded token reads.
std::int64_t decode_weight_bytes(const model_view& model);

}  // namespace kick::cpu
