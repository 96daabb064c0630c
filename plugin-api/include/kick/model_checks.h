// kick plugin API: checks of a model_view every backend runs before executing it.
#pragma once

#include <cstdint>
#include <string>

#include "kick/model.h"
#include "kick/status.h"
#include "kick/tensor.h"

namespace kick {

namespace model_checks_detail {

inline std::string shape_string(const tensor_view& t) {
  std::string s = "[";
  for (int i = 0; i < t.n_dims && i < 4; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(t.shape[i]);
  }
  return s + "]";
}

inline bool supported(dtype t) {
  return t == dtype::f32 || t == dtype::f16 || t == dtype::bf16 || t == dtype::q8_0;
}

inline status check_matrix(const tensor_view& t, const std::string& name, std::int64_t n_rows, std::int64_t n_cols) {
  if (t.empty()) return fail(status_code::invalid_argument, "tensor " + name + " is missing");
  if (!supported(t.type)) {
    return fail(status_code::invalid_argument,
                "tensor " + name + " has unsupported dtype " + std::to_string(static_cast<unsigned>(t.type)) +
                    " (accepted: f32, f16, bf16, q8_0)");
  }
  if (t.n_dims != 2 || t.shape[0] != n_rows || t.shape[1] != n_cols) {
    return fail(status_code::invalid_argument, "tensor " + name + " has shape " + shape_string(t) + ", expected [" +
                                                   std::to_string(n_rows) + ", " + std::to_string(n_cols) + "]");
  }
  const std::int64_t row_bytes = row_size_bytes(t.type, n_cols);
  if (row_bytes < 0) {
    return fail(status_code::invalid_argument, "tensor " + name + " has " + std::to_string(n_cols) + " columns, not a multiple of " +
                                                   std::to_string(traits(t.type).block_elements) + " for " + traits(t.type).name);
  }
  const std::int64_t element_bytes = traits(t.type).block_elements == 1 ? traits(t.type).block_bytes : 0;
  if (t.stride_bytes[1] != element_bytes) {
    return fail(status_code::invalid_argument, "tensor " + name + " has inner stride " + std::to_string(t.stride_bytes[1]) +
                                                   " bytes, expected contiguous rows (" + std::to_string(element_bytes) + ")");
  }
  if (t.stride_bytes[0] < row_bytes) {
    return fail(status_code::invalid_argument, "tensor " + name + " has row stride " + std::to_string(t.stride_bytes[0]) +
                                                   " bytes, less than its row size " + std::to_string(row_bytes));
  }
  if (t.stride_bytes[0] / 4 >= (std::int64_t{1} << 31)) {
    return fail(status_code::invalid_argument, "tensor " + name + " has row stride " + std::to_string(t.stride_bytes[0]) +
                                                   " bytes, beyond the supported 2^33");
  }
  const auto alignment = static_cast<std::uintptr_t>(element_bytes > 0 ? element_bytes : 1);
  if (reinterpret_cast<std::uintptr_t>(t.data) % alignment != 0 || static_cast<std::uintptr_t>(t.stride_bytes[0]) % alignment != 0) {
    return fail(status_code::invalid_argument,
                "tensor " + name + " is not aligned to its " + std::to_string(alignment) + "-byte elements");
  }
  return status::success();
}

inline status check_vector(const tensor_view& t, const std::string& name, std::int64_t n) {
  if (t.empty()) return fail(status_code::invalid_argument, "tensor " + name + " is missing");
  if (!supported(t.type)) {
    return fail(status_code::invalid_argument, "tensor " + name + " has unsupported dtype " +
                                                   std::to_string(static_cast<unsigned>(t.type)));
  }
  if (t.n_dims != 1 || t.shape[0] != n || row_size_bytes(t.type, n) < 0) {
    return fail(status_code::invalid_argument,
                "tensor " + name + " has shape " + shape_string(t) + ", expected [" + std::to_string(n) + "]");
  }
  return status::success();
}

// A linear layer: a compressed weight of the expected shape, or a dense matrix (check_matrix).
inline status check_linear(const layer_tensors& l, linear_slot slot, const std::string& name, std::int64_t n_rows, std::int64_t n_cols) {
  if (const compressed_weight* c = l.compressed_linear(slot); c != nullptr) {
    if (c->n_rows != n_rows || c->n_cols != n_cols) {
      return fail(status_code::invalid_argument, "tensor " + name + " (compressed) has shape [" + std::to_string(c->n_rows) + ", " +
                                                     std::to_string(c->n_cols) + "], expected [" + std::to_string(n_rows) + ", " +
                                                     std::to_string(n_cols) + "]");
    }
    return status::success();
  }
  return check_matrix(l.linear(slot), name, n_rows, n_cols);
}

}  // namespace model_checks_detail

// Checks the config (positive sizes, n_heads divisible by n_kv_heads, even head_dim, positive
// rope_theta, eps >= 0) and every tensor (present, 2-D linear weights of the implied shape with
// a supported dtype (f32, f16, bf16, q8_0), whole q8_0 blocks per row, contiguous and
// element-aligned rows, or a compressed weight of the implied shape; 1-D vectors of the implied
// length). invalid_argument names the tensor and what was expected.
inline status check_model_view(const model_view& model) {
  const llama_config& c = model.config;
  const auto positive = [](std::int64_t v) { return v > 0 && v < (std::int64_t{1} << 31); };
  if (!positive(c.n_vocab) || !positive(c.n_embd) || !positive(c.n_layers) || !positive(c.n_heads) ||
      !positive(c.n_kv_heads) || !positive(c.head_dim) || !positive(c.n_ff)) {
    return fail(status_code::invalid_argument,
                "config sizes must be in [1, 2^31): n_vocab " + std::to_string(c.n_vocab) + ", n_embd " + std::to_string(c.n_embd) +
                    ", n_layers " + std::to_string(c.n_layers) + ", n_heads " + std::to_string(c.n_heads) + ", n_kv_heads " +
                    std::to_string(c.n_kv_heads) + ", head_dim " + std::to_string(c.head_dim) + ", n_ff " + std::to_string(c.n_ff));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return fail(status_code::invalid_argument, "config n_heads " + std::to_string(c.n_heads) +
                                                   " is not a multiple of n_kv_heads " + std::to_string(c.n_kv_heads));
  }
  if (c.head_dim % 2 != 0) {
    return fail(status_code::invalid_argument, "config head_dim " + std::to_string(c.head_dim) + " is odd; rope needs it even");
  }
  if (!(c.rope_theta > 0.0) || !(c.rms_norm_eps >= 0.0)) {
    return fail(status_code::invalid_argument, "config rope_theta " + std::to_string(c.rope_theta) + " must be > 0 and rms_norm_eps " +
                                                   std::to_string(c.rms_norm_eps) + " >= 0");
  }
  if (static_cast<std::int64_t>(model.layers.size()) != c.n_layers) {
    return fail(status_code::invalid_argument, "model has " + std::to_string(model.layers.size()) + " layers, config says " +
                                                   std::to_string(c.n_layers));
  }
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  using namespace model_checks_detail;
  if (status s = check_matrix(model.tok_embd, "token_embd", c.n_vocab, c.n_embd); !s.ok()) return s;
  if (status s = check_matrix(model.output, "output", c.n_vocab, c.n_embd); !s.ok()) return s;
  if (status s = check_vector(model.output_norm, "output_norm", c.n_embd); !s.ok()) return s;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const layer_tensors& l = model.layers[i];
    const std::string p = "blk." + std::to_string(i) + ".";
    status s = check_vector(l.attn_norm, p + "attn_norm", c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::q, p + "attn_q", q_dim, c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::k, p + "attn_k", kv_dim, c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::v, p + "attn_v", kv_dim, c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::o, p + "attn_output", c.n_embd, q_dim);
    if (s.ok() && c.qkv_bias) s = check_vector(l.bq, p + "attn_q.bias", q_dim);
    if (s.ok() && c.qkv_bias) s = check_vector(l.bk, p + "attn_k.bias", kv_dim);
    if (s.ok() && c.qkv_bias) s = check_vector(l.bv, p + "attn_v.bias", kv_dim);
    if (s.ok()) s = check_vector(l.ffn_norm, p + "ffn_norm", c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::gate, p + "ffn_gate", c.n_ff, c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::up, p + "ffn_up", c.n_ff, c.n_embd);
    if (s.ok()) s = check_linear(l, linear_slot::down, p + "ffn_down", c.n_embd, c.n_ff);
    if (!s.ok()) return s;
  }
  return status::success();
}

}  // namespace kick
