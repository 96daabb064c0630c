#include "weights.h"

#include <string>

#include "kick/convert.h"
#include "kick/format_codec.h"

namespace kick::cpu {

namespace {

std::vector<float> to_f32(const tensor_view& t) {
  if (t.empty()) return {};
  std::vector<float> out(static_cast<std::size_t>(t.n_elements()));
  dequantize_row(t.type, t.data, out.data(), t.n_elements());
  return out;
}

std::int64_t matrix_bytes(const tensor_view& t) { return t.n_rows() * row_size_bytes(t.type, t.n_cols()); }

}  // namespace

model_vectors convert_vectors(const model_view& model) {
  model_vectors v;
  v.output_norm = to_f32(model.output_norm);
  for (const layer_tensors& l : model.layers) {
    layer_vectors lv;
    lv.attn_norm = to_f32(l.attn_norm);
    lv.ffn_norm = to_f32(l.ffn_norm);
    if (model.config.qkv_bias) {
      lv.bq = to_f32(l.bq);
      lv.bk = to_f32(l.bk);
      lv.bv = to_f32(l.bv);
    }
    v.layers.push_back(std::move(lv));
  }
  return v;
}

std::int64_t decode_weight_bytes(const model_view& model) {
  std::int64_t bytes = matrix_bytes(model.output);
  for (const layer_tensors& l : model.layers) {
    bytes += matrix_bytes(l.wq) + matrix_bytes(l.wk) + matrix_bytes(l.wv) + matrix_bytes(l.wo) + matrix_bytes(l.w_gate) +
             matrix_bytes(l.w_up) + matrix_bytes(l.w_down);
  }
  return bytes;
}

result<model_view> densify_compressed(const model_view& model, std::vector<std::vector<float>>& storage) {
  model_view out = model;
  for (std::size_t i = 0; i < out.layers.size(); ++i) {
    layer_tensors& l = out.layers[i];
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      const compressed_weight* w = l.compressed[slot];
      if (w == nullptr) continue;
      const std::string name = "blk." + std::to_string(i) + ".linear" + std::to_string(slot);
      if (status s = check_layout(*w); !s.ok()) return fail(s.with_context(name + " (" + layout_name(w->layout) + ")"));
      std::vector<float>& values = storage.emplace_back(static_cast<std::size_t>(w->n_rows * w->n_cols));
      densify(*w, values.data());
      l.linear(static_cast<linear_slot>(slot)) = make_contiguous_view(dtype::f32, values.data(), w->n_rows, w->n_cols);
      l.compressed[slot] = nullptr;
    }
  }
  return out;
}

}  // namespace kick::cpu
