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

status make_compressed_linears(const model_view& model, const kernel_set& kernels, linear_options options, model_vectors& out) {
  out.compressed.resize(model.layers.size());
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      const compressed_weight* w = model.layers[i].compressed[slot];
      if (w == nullptr) continue;
      auto made = make_compressed_linear(*w, kernels, options);
      if (!made) return made.error().with_context("blk." + std::to_string(i) + ".linear" + std::to_string(slot));
      out.compressed[i][slot] = std::move(*made);
    }
  }
  return status::success();
}

}  // namespace kick::cpu
