// validate_model_view: the contract every loader (and method plugin output) must satisfy.
#include <fmt/format.h>

#include <cmath>

#include "core/model/loader_support.h"
#include "core/model/model_loader.h"
#include "kick/format_codec.h"

namespace kick {
namespace {

failure bad(std::string message) { return fail(status_code::invalid_argument, std::move(message)); }

status check_config(const llama_config& c) {
  const std::pair<const char*, std::int64_t> dims[] = {
      {"n_vocab", c.n_vocab}, {"n_embd", c.n_embd}, {"n_layers", c.n_layers}, {"n_heads", c.n_heads},
      {"n_kv_heads", c.n_kv_heads}, {"head_dim", c.head_dim}, {"n_ff", c.n_ff}};
  for (const auto& [name, value] : dims) {
    if (value <= 0 || value > detail::k_max_dim) {
      return bad(fmt::format("config {} = {} is out of range (accepted 1..{})", name, value, detail::k_max_dim));
    }
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return bad(fmt::format("config n_heads = {} is not a multiple of n_kv_heads = {}", c.n_heads, c.n_kv_heads));
  }
  if (c.head_dim % 2 != 0) return bad(fmt::format("config head_dim = {} is odd (rope needs pairs)", c.head_dim));
  if (c.n_ctx_train < 0) return bad(fmt::format("config n_ctx_train = {} is negative", c.n_ctx_train));
  if (!(c.rope_theta > 0.0) || !std::isfinite(c.rope_theta)) {
    return bad(fmt::format("config rope_theta = {} must be positive and finite", c.rope_theta));
  }
  if (!(c.rms_norm_eps > 0.0) || !(c.rms_norm_eps < 1.0)) {
    return bad(fmt::format("config rms_norm_eps = {} is out of range (accepted (0, 1))", c.rms_norm_eps));
  }
  if (c.rope != rope_layout::rotate_half && c.rope != rope_layout::interleaved) {
    return bad(fmt::format("config rope layout {} is unknown", static_cast<std::uint32_t>(c.rope)));
  }
  return {};
}

// `expected` holds 1 or 2 dims. Vectors (norms, biases) must be f32; matrices any dtype with whole
// blocks per row and rows at least a row's size apart.
status check_tensor(const tensor_view& t, const std::string& name, std::initializer_list<std::int64_t> expected) {
  const std::vector<std::int64_t> want(expected);
  if (t.empty()) return bad(fmt::format("tensor {} is missing", name));
  if (t.n_dims != static_cast<std::int32_t>(want.size()) ||
      !std::equal(want.begin(), want.end(), t.shape)) {
    return bad(fmt::format("tensor {} has shape {}, expected {}", name, detail::format_shape(t),
                           detail::format_shape(want)));
  }
  if (static_cast<std::uint32_t>(t.type) > static_cast<std::uint32_t>(dtype::q8_0)) {
    return bad(fmt::format("tensor {} has unknown dtype {}", name, static_cast<std::uint32_t>(t.type)));
  }
  if (want.size() == 1 && t.type != dtype::f32) {
    return bad(fmt::format("tensor {} is {}, expected f32 for a norm or bias vector", name, traits(t.type).name));
  }
  const std::int64_t row = row_size_bytes(t.type, t.n_cols());
  if (row < 0) {
    return bad(fmt::format("tensor {} of type {} has rows of {} elements, not a multiple of the block size {}",
                           name, traits(t.type).name, t.n_cols(), traits(t.type).block_elements));
  }
  if (want.size() == 2 && t.stride_bytes[0] < row) {
    return bad(fmt::format("tensor {} has a row stride of {} bytes, less than a row ({} bytes)", name,
                           t.stride_bytes[0], row));
  }
  return {};
}

// A compressed linear layer: a non-dense layout of the expected shape that passes check_layout,
// and no tensor_view beside it.
status check_compressed(const compressed_weight& w, const tensor_view& t, const std::string& name, std::int64_t rows,
                        std::int64_t cols) {
  if (!t.empty()) return bad(fmt::format("tensor {} is both compressed and a dense tensor", name));
  if (std::holds_alternative<dense_layout>(w.layout)) {
    return bad(fmt::format("tensor {} is compressed with a dense layout (dense weights are plain tensors)", name));
  }
  if (w.n_rows != rows || w.n_cols != cols) {
    return bad(fmt::format("compressed tensor {} has shape [{}, {}], expected [{}, {}]", name, w.n_rows, w.n_cols, rows, cols));
  }
  if (auto s = check_layout(w); !s.ok()) {
    return bad(fmt::format("compressed tensor {} ({}): {}", name, layout_name(w.layout), s.message()));
  }
  return {};
}

}  // namespace

status validate_model_view(const model_view& view) {
  const llama_config& c = view.config;
  if (auto s = check_config(c); !s.ok()) return s;
  if (static_cast<std::int64_t>(view.layers.size()) != c.n_layers) {
    return bad(fmt::format("model has {} layers, config says n_layers = {}", view.layers.size(), c.n_layers));
  }
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  if (auto s = check_tensor(view.tok_embd, "tok_embd", {c.n_vocab, c.n_embd}); !s.ok()) return s;
  if (auto s = check_tensor(view.output_norm, "output_norm", {c.n_embd}); !s.ok()) return s;
  if (auto s = check_tensor(view.output, "output", {c.n_vocab, c.n_embd}); !s.ok()) return s;
  if (c.tied_embeddings && view.output.data != view.tok_embd.data) {
    return bad("config says tied_embeddings but output is not the same tensor as tok_embd");
  }
  for (std::size_t i = 0; i < view.layers.size(); ++i) {
    const layer_tensors& l = view.layers[i];
    auto name = [&](const char* t) { return fmt::format("layers.{}.{}", i, t); };
    const std::tuple<const tensor_view&, const char*, std::int64_t, std::int64_t> matrices[] = {
        {l.wq, "wq", q_dim, c.n_embd},         {l.wk, "wk", kv_dim, c.n_embd},       {l.wv, "wv", kv_dim, c.n_embd},
        {l.wo, "wo", c.n_embd, q_dim},         {l.w_gate, "w_gate", c.n_ff, c.n_embd},
        {l.w_up, "w_up", c.n_ff, c.n_embd},    {l.w_down, "w_down", c.n_embd, c.n_ff}};
    std::size_t slot = 0;
    for (const auto& [t, n, rows, cols] : matrices) {
      const compressed_weight* w = l.compressed[slot++];
      if (w == nullptr) {
        if (auto s = check_tensor(t, name(n), {rows, cols}); !s.ok()) return s;
      } else if (auto s = check_compressed(*w, t, name(n), rows, cols); !s.ok()) {
        return s;
      }
    }
    if (auto s = check_tensor(l.attn_norm, name("attn_norm"), {c.n_embd}); !s.ok()) return s;
    if (auto s = check_tensor(l.ffn_norm, name("ffn_norm"), {c.n_embd}); !s.ok()) return s;
    const std::tuple<const tensor_view&, const char*, std::int64_t> biases[] = {
        {l.bq, "bq", q_dim}, {l.bk, "bk", kv_dim}, {l.bv, "bv", kv_dim}};
    for (const auto& [t, n, size] : biases) {
      if (c.qkv_bias) {
        if (auto s = check_tensor(t, name(n), {size}); !s.ok()) return s;
      } else if (!t.empty()) {
        return bad(fmt::format("tensor {} is present but config.qkv_bias is false", name(n)));
      }
    }
  }
  return {};
}

}  // namespace kick
