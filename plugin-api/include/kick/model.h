// kick plugin API: the architecture description and weights of a Llama-family model.
// The host owns the storage (memory-mapped files or owned buffers); a model_view is valid
// for as long as the host keeps the model loaded, which outlives every runner built from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kick/formats.h"
#include "kick/tensor.h"

namespace kick {

// How RoPE pairs dimensions within a head.
enum class rope_layout : std::uint32_t {
  rotate_half = 0,  // HF/NeoX: dimension i pairs with i + head_dim/2
  interleaved = 1,  // Meta/llama2.c/GGUF: dimension 2i pairs with 2i + 1
};

struct llama_config {
  std::string architecture = "llama";  // as the file names it: llama, mistral, qwen2, ...
  std::int64_t n_vocab = 0;
  std::int64_t n_embd = 0;       // hidden size
  std::int64_t n_layers = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;   // grouped-query attention: n_heads % n_kv_heads == 0
  std::int64_t head_dim = 0;     // usually n_embd / n_heads
  std::int64_t n_ff = 0;         // SwiGLU inner size
  std::int64_t n_ctx_train = 0;  // trained context length
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;
  rope_layout rope = rope_layout::rotate_half;
  bool tied_embeddings = false;  // output projection shares tok_embd
  bool qkv_bias = false;         // Qwen2-style q/k/v biases
};

// The seven linear layers of a decoder block, in the order methods see them.
enum class linear_slot : std::uint32_t { q = 0, k, v, o, gate, up, down };
inline constexpr std::size_t k_n_linear_slots = 7;

// One decoder block. Linear weights are [n_out, n_in]; norms and biases are 1-D.
struct layer_tensors {
  tensor_view attn_norm;          // [n_embd]
  tensor_view wq;                 // [n_heads * head_dim, n_embd]
  tensor_view wk;                 // [n_kv_heads * head_dim, n_embd]
  tensor_view wv;                 // [n_kv_heads * head_dim, n_embd]
  tensor_view wo;                 // [n_embd, n_heads * head_dim]
  tensor_view bq, bk, bv;         // empty unless config.qkv_bias
  tensor_view ffn_norm;           // [n_embd]
  tensor_view w_gate;             // [n_ff, n_embd]   (HF gate_proj, llama2.c w1)
  tensor_view w_up;               // [n_ff, n_embd]   (HF up_proj,   llama2.c w3)
  tensor_view w_down;             // [n_embd, n_ff]   (HF down_proj, llama2.c w2)
  // Compressed linear layers by linear_slot. A non-null entry is that layer's weight, in one of
  // the layouts of kick/formats.h other than dense_layout, and its tensor_view above is empty.
  // Owned by the host, like every weight.
  const compressed_weight* compressed[k_n_linear_slots] = {};

  tensor_view& linear(linear_slot slot) {
    tensor_view* views[] = {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down};
    return *views[static_cast<std::size_t>(slot)];
  }
  const tensor_view& linear(linear_slot slot) const { return const_cast<layer_tensors*>(this)->linear(slot); }
  const compressed_weight* compressed_linear(linear_slot slot) const { return compressed[static_cast<std::size_t>(slot)]; }
};

struct model_view {
  llama_config config;
  tensor_view tok_embd;           // [n_vocab, n_embd]
  std::vector<layer_tensors> layers;
  tensor_view output_norm;        // [n_embd]
  tensor_view output;             // [n_vocab, n_embd]; the same view as tok_embd when tied
};

}  // namespace kick
