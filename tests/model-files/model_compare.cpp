#include "model-files/model_compare.h"

#include <fmt/format.h>

#include <cstring>

#include "kick/convert.h"
#include "model-files/model_writers.h"

namespace kick::test {
namespace {

std::string shape_text(const tensor_view& t) {
  std::string s = "[";
  for (int i = 0; i < t.n_dims; ++i) s += fmt::format("{}{}", i ? ", " : "", t.shape[i]);
  return s + "]";
}

std::string vector_difference(const tensor_view& expected, const tensor_view& actual, dtype storage,
                              const std::vector<std::int64_t>& rows) {
  if (actual.type != dtype::f32) return fmt::format("vector is {}, expected f32", traits(actual.type).name);
  if (actual.n_dims != 1 || actual.shape[0] != expected.n_elements()) {
    return fmt::format("shape {} vs expected {}", shape_text(actual), shape_text(expected));
  }
  std::vector<float> want = to_f32(expected);
  std::vector<std::byte> stored(static_cast<std::size_t>(row_size_bytes(storage, static_cast<std::int64_t>(want.size()))));
  quantize_row(storage, want.data(), stored.data(), static_cast<std::int64_t>(want.size()));
  dequantize_row(storage, stored.data(), want.data(), static_cast<std::int64_t>(want.size()));
  const std::vector<float> got = to_f32(actual);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float w = rows.empty() ? want[i] : want[static_cast<std::size_t>(rows[i])];
    if (std::memcmp(&got[i], &w, sizeof(float)) != 0) return fmt::format("element {}: {} vs expected {}", i, got[i], w);
  }
  return {};
}

}  // namespace

std::string tensor_difference(const tensor_view& expected, const tensor_view& actual, const std::vector<std::int64_t>& rows) {
  if (actual.empty() != expected.empty()) return actual.empty() ? "missing" : "unexpectedly present";
  if (actual.empty()) return {};
  if (actual.type != expected.type) {
    return fmt::format("dtype {} vs expected {}", traits(actual.type).name, traits(expected.type).name);
  }
  if (actual.n_dims != expected.n_dims || !std::equal(actual.shape, actual.shape + actual.n_dims, expected.shape)) {
    return fmt::format("shape {} vs expected {}", shape_text(actual), shape_text(expected));
  }
  const auto row_bytes = static_cast<std::size_t>(row_size_bytes(actual.type, actual.n_cols()));
  for (std::int64_t i = 0; i < actual.n_rows(); ++i) {
    const std::int64_t src = rows.empty() ? i : rows[static_cast<std::size_t>(i)];
    if (std::memcmp(actual.row(i), expected.row(src), row_bytes) != 0) {
      return fmt::format("row {} differs from expected row {}", i, src);
    }
  }
  return {};
}

std::string model_difference(const model_view& expected, const model_view& actual, dtype vector_storage) {
  const llama_config& e = expected.config;
  const llama_config& a = actual.config;
  const std::pair<const char*, bool> same[] = {
      {"n_vocab", e.n_vocab == a.n_vocab},       {"n_embd", e.n_embd == a.n_embd},
      {"n_layers", e.n_layers == a.n_layers},    {"n_heads", e.n_heads == a.n_heads},
      {"n_kv_heads", e.n_kv_heads == a.n_kv_heads}, {"head_dim", e.head_dim == a.head_dim},
      {"n_ff", e.n_ff == a.n_ff},                {"n_ctx_train", e.n_ctx_train == a.n_ctx_train},
      {"rope_theta", static_cast<float>(e.rope_theta) == static_cast<float>(a.rope_theta)},
      {"rms_norm_eps", static_cast<float>(e.rms_norm_eps) == static_cast<float>(a.rms_norm_eps)},
      {"tied_embeddings", e.tied_embeddings == a.tied_embeddings}, {"qkv_bias", e.qkv_bias == a.qkv_bias}};
  for (const auto& [name, ok] : same) {
    if (!ok) return fmt::format("config {} differs", name);
  }
  if (actual.layers.size() != expected.layers.size()) return "layer count differs";
  std::vector<std::int64_t> q_rows, k_rows;
  if (e.rope != a.rope) {
    q_rows = a.rope == rope_layout::interleaved ? interleaved_from_hf(e.n_heads, e.head_dim) : hf_from_interleaved(e.n_heads, e.head_dim);
    k_rows = a.rope == rope_layout::interleaved ? interleaved_from_hf(e.n_kv_heads, e.head_dim)
                                                : hf_from_interleaved(e.n_kv_heads, e.head_dim);
  }
  auto check = [&](const std::string& name, const tensor_view& want, const tensor_view& got,
                   const std::vector<std::int64_t>& rows = {}) -> std::string {
    const std::string d = want.n_dims == 1 && !want.empty() ? vector_difference(want, got, vector_storage, rows)
                                                            : tensor_difference(want, got, rows);
    return d.empty() ? d : fmt::format("{}: {}", name, d);
  };
  std::vector<std::string> diffs;
  diffs.push_back(check("tok_embd", expected.tok_embd, actual.tok_embd));
  diffs.push_back(check("output_norm", expected.output_norm, actual.output_norm));
  diffs.push_back(check("output", expected.output, actual.output));
  for (std::size_t i = 0; i < expected.layers.size(); ++i) {
    const layer_tensors& x = expected.layers[i];
    const layer_tensors& y = actual.layers[i];
    const std::string p = fmt::format("layers.{}.", i);
    diffs.push_back(check(p + "attn_norm", x.attn_norm, y.attn_norm));
    diffs.push_back(check(p + "wq", x.wq, y.wq, q_rows));
    diffs.push_back(check(p + "wk", x.wk, y.wk, k_rows));
    diffs.push_back(check(p + "wv", x.wv, y.wv));
    diffs.push_back(check(p + "wo", x.wo, y.wo));
    diffs.push_back(check(p + "bq", x.bq, y.bq, q_rows));
    diffs.push_back(check(p + "bk", x.bk, y.bk, k_rows));
    diffs.push_back(check(p + "bv", x.bv, y.bv));
    diffs.push_back(check(p + "ffn_norm", x.ffn_norm, y.ffn_norm));
    diffs.push_back(check(p + "w_gate", x.w_gate, y.w_gate));
    diffs.push_back(check(p + "w_up", x.w_up, y.w_up));
    diffs.push_back(check(p + "w_down", x.w_down, y.w_down));
  }
  for (const auto& d : diffs) {
    if (!d.empty()) return d;
  }
  return {};
}

bool points_into(const void* data, const std::vector<std::pair<const void*, std::size_t>>& ranges) {
  const auto* p = static_cast<const std::byte*>(data);
  for (const auto& [begin, size] : ranges) {
    const auto* b = static_cast<const std::byte*>(begin);
    if (p >= b && p < b + size) return true;
  }
  return false;
}

}  // namespace kick::test
