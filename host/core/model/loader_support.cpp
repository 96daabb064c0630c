#include "core/model/loader_support.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_set>

#include "kick/convert.h"

namespace kick::detail {

std::string format_shape(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  s += "]";
  return s;
}

std::string format_shape(const tensor_view& view) {
  return format_shape(std::span<const std::int64_t>(view.shape, static_cast<std::size_t>(view.n_dims)));
}

std::int64_t tensor_size_bytes(dtype type, std::span<const std::int64_t> shape) {
  if (shape.empty()) return -1;
  const std::int64_t row = row_size_bytes(type, shape.back());
  if (row < 0) return -1;
  std::int64_t n_rows = 1;
  for (std::size_t i = 0; i + 1 < shape.size(); ++i) n_rows *= shape[i];
  return n_rows * row;
}

tensor_view place_tensor(loaded_model& model, dtype type, const std::byte* data, std::span<const std::int64_t> shape) {
  const std::int64_t n_cols = shape.back();
  const std::int64_t n_rows = shape.size() >= 2 ? shape[0] : 0;
  // Element alignment: 4 for f32, 2 for f16/bf16 and for q8_0's f16 scales.
  const std::uintptr_t align = type == dtype::f32 ? 4 : 2;
  if (reinterpret_cast<std::uintptr_t>(data) % align != 0) {
    const auto size = static_cast<std::size_t>(tensor_size_bytes(type, shape));
    auto copy = std::make_unique<std::byte[]>(size);
    std::memcpy(copy.get(), data, size);
    data = copy.get();
    model.owned_buffers.push_back(std::move(copy));
  }
  return make_contiguous_view(type, data, n_rows, n_cols);
}

tensor_view f32_vector(loaded_model& model, dtype type, const std::byte* data, std::int64_t n) {
  auto buffer = std::make_unique<std::byte[]>(static_cast<std::size_t>(n) * sizeof(float));
  // dequantize_row reads through typed pointers: stage unaligned sources through a copy.
  const std::int64_t size = row_size_bytes(type, n);
  std::unique_ptr<std::byte[]> staged;
  if (reinterpret_cast<std::uintptr_t>(data) % 4 != 0 && type != dtype::f32) {
    staged = std::make_unique<std::byte[]>(static_cast<std::size_t>(size));
    std::memcpy(staged.get(), data, static_cast<std::size_t>(size));
    data = staged.get();
  }
  dequantize_row(type, data, reinterpret_cast<float*>(buffer.get()), n);
  tensor_view v = make_contiguous_view(dtype::f32, buffer.get(), 0, n);
  model.owned_buffers.push_back(std::move(buffer));
  return v;
}

std::int64_t count_params(const model_view& view) {
  std::unordered_set<const void*> seen;
  std::int64_t n = 0;
  auto add = [&](const tensor_view& t) {
    if (t.empty() || !seen.insert(t.data).second) return;
    n += t.n_elements();
  };
  add(view.tok_embd);
  for (const layer_tensors& l : view.layers) {
    for (const tensor_view* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.ffn_norm,
                                 &l.w_gate, &l.w_up, &l.w_down}) {
      add(*t);
    }
    for (const compressed_weight* w : l.compressed)
      if (w != nullptr) n += w->n_rows * w->n_cols;
  }
  add(view.output_norm);
  add(view.output);
  return n;
}

status take_llama_tensors(model_view& v, const tensor_naming& names, const tensor_lookup& lookup) {
  const llama_config& c = v.config;
  const std::int64_t q_dim = c.n_heads * c.head_dim, kv_dim = c.n_kv_heads * c.head_dim;
  status first_error;
  const auto take = [&](tensor_view& dst, std::string name, std::vector<std::int64_t> shape) {
    if (!first_error.ok()) return;
    auto t = lookup(name, std::move(shape));
    if (t) dst = *t;
    else first_error = t.error();
  };
  const auto block_name = [](const char* pattern, std::int64_t i) { return fmt::format(fmt::runtime(pattern), i); };
  take(v.tok_embd, names.tok_embd, {c.n_vocab, c.n_embd});
  v.layers.resize(static_cast<std::size_t>(c.n_layers));
  for (std::int64_t i = 0; i < c.n_layers && first_error.ok(); ++i) {
    layer_tensors& l = v.layers[static_cast<std::size_t>(i)];
    take(l.attn_norm, block_name(names.attn_norm, i), {c.n_embd});
    take(l.wq, block_name(names.wq, i), {q_dim, c.n_embd});
    take(l.wk, block_name(names.wk, i), {kv_dim, c.n_embd});
    take(l.wv, block_name(names.wv, i), {kv_dim, c.n_embd});
    take(l.wo, block_name(names.wo, i), {c.n_embd, q_dim});
    if (c.qkv_bias) {
      take(l.bq, block_name(names.bq, i), {q_dim});
      take(l.bk, block_name(names.bk, i), {kv_dim});
      take(l.bv, block_name(names.bv, i), {kv_dim});
    }
    take(l.ffn_norm, block_name(names.ffn_norm, i), {c.n_embd});
    take(l.w_gate, block_name(names.w_gate, i), {c.n_ff, c.n_embd});
    take(l.w_up, block_name(names.w_up, i), {c.n_ff, c.n_embd});
    take(l.w_down, block_name(names.w_down, i), {c.n_embd, c.n_ff});
  }
  take(v.output_norm, names.output_norm, {c.n_embd});
  return first_error;
}

}  // namespace kick::detail
