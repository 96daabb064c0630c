// Checking a model_view before the CPU backend runs it, and the small tensors (norms, biases)
// it keeps as f32. The large matrices are read in place from the view, never copied.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "compressed_linear.h"
#include "kernels.h"
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
  // The compressed linear layers by layer and linear_slot (null where the layer is dense).
  std::vector<std::array<std::unique_ptr<compressed_linear>, k_n_linear_slots>> compressed;
};

// The kernels of every compressed linear layer of `model`, in their own formats (nothing is
// densified); the layouts are checked first (invalid_argument names the layer).
status make_compressed_linears(const model_view& model, const kernel_set& kernels, linear_options options, model_vectors& out);

// Converts the norms and biases of a checked model to f32.
model_vectors convert_vectors(const model_view& model);


}  // namespace kick::cpu
