// describe_model: the text `kickhost inspect` prints for a model.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/model/loader_support.h"
#include "core/model/model_loader.h"
#include "kick/format_codec.h"

namespace kick {
namespace {

const char* rope_name(rope_layout r) {
  return r == rope_layout::interleaved ? "interleaved (pairs 2i, 2i+1)" : "rotate_half (pairs i, i+head_dim/2)";
}

// 1234567 -> "1,234,567".
std::string grouped(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (n < 0) out.insert(out.begin(), '-');
  return out;
}

std::string human(double value, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T"};
  int p = 0;
  while (value >= 1000.0 && p < 4) {
    value /= 1000.0;
    ++p;
  }
  return fmt::format("{:.2f} {}{}", value, prefixes[p], unit);
}

std::int64_t storage_bytes(const tensor_view& t) {
  return t.n_rows() * row_size_bytes(t.type, t.n_cols());
}

// "quant-group 4-bit g128", "sparse-nm 2:4", ... for a compressed layer.
std::string layout_summary(const compressed_weight& w) {
  std::string detail = std::visit(
      [](const auto& l) -> std::string {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, nm_sparse_layout>) return fmt::format(" {}:{} {} values", l.n, l.m, value_type_name(l.values.type));
        else if constexpr (std::is_same_v<L, bitmap_sparse_layout>) return fmt::format(" {} values", value_type_name(l.values.type));
        else if constexpr (std::is_same_v<L, group_quant_layout>)
          return fmt::format(" {}-bit g{}{}{}", l.bits, l.group_size, l.g_idx.empty() ? "" : " act-order",
                             l.input_scale.empty() ? "" : " scaled");
        else if constexpr (std::is_same_v<L, nf4_layout>) return fmt::format(" b{}{}", l.block_size, l.double_quant ? " dq" : "");
        else if constexpr (std::is_same_v<L, int8_outlier_layout>) return fmt::format(" {} outlier cols", l.outlier_cols.size());
        else return std::string();
      },
      w.layout);
  return fmt::format("{}{} ({:.2f} bits/w)", layout_name(w.layout), detail, storage_bits_per_weight(w));
}

// "method magnitude" and its params, from a compressed model's metadata.
std::string compression_summary(const std::string& compression_json) {
  const auto j = nlohmann::json::parse(compression_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "yes (metadata is not a json object)";
  std::string out = j.contains("method") && j["method"].is_string() ? j["method"].get<std::string>() : std::string("unknown");
  if (j.contains("params") && j["params"].is_object() && !j["params"].empty()) out += " " + j["params"].dump();
  return out;
}

}  // namespace

std::string describe_model(const loaded_model& model) {
  const model_view& v = model.view;
  const llama_config& c = v.config;
  std::string out;
  auto line = [&](std::string_view key, const std::string& value) { out += fmt::format("{:<14}{}\n", key, value); };
  line("path:", model.path.string());
  line("format:", to_string(model.format));
  line("architecture:", c.architecture);
  line("n_vocab:", std::to_string(c.n_vocab));
  line("n_embd:", std::to_string(c.n_embd));
  line("n_layers:", std::to_string(c.n_layers));
  line("heads:", fmt::format("{} (kv heads {}, head_dim {})", c.n_heads, c.n_kv_heads, c.head_dim));
  line("n_ff:", std::to_string(c.n_ff));
  line("n_ctx_train:", c.n_ctx_train > 0 ? std::to_string(c.n_ctx_train) : std::string("unknown"));
  line("rope:", fmt::format("theta {:g}, {}", c.rope_theta, rope_name(c.rope)));
  line("rms_norm_eps:", fmt::format("{:g}", c.rms_norm_eps));
  line("tied:", c.tied_embeddings ? "yes (output shares tok_embd)" : "no");
  line("qkv_bias:", c.qkv_bias ? "yes" : "no");
  line("parameters:", fmt::format("{} ({})", grouped(model.n_params), human(static_cast<double>(model.n_params), "")));

  // Tensor table: globals and the first block.
  std::vector<std::pair<std::string, const tensor_view*>> shown = {{"tok_embd", &v.tok_embd}};
  if (!v.layers.empty()) {
    const layer_tensors& l = v.layers[0];
    const std::pair<const char*, const tensor_view*> first[] = {
        {"attn_norm", &l.attn_norm}, {"wq", &l.wq}, {"wk", &l.wk},           {"wv", &l.wv},
        {"wo", &l.wo},               {"bq", &l.bq}, {"bk", &l.bk},           {"bv", &l.bv},
        {"ffn_norm", &l.ffn_norm},   {"w_gate", &l.w_gate}, {"w_up", &l.w_up}, {"w_down", &l.w_down}};
    for (const auto& [name, t] : first) {
      if (!t->empty()) shown.emplace_back(fmt::format("layers.0.{}", name), t);
    }
  }
  std::vector<std::pair<std::string, const compressed_weight*>> shown_compressed;
  if (!v.layers.empty()) {
    const char* names[] = {"wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"};
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot)
      if (const compressed_weight* w = v.layers[0].compressed[slot]) shown_compressed.emplace_back(fmt::format("layers.0.{}", names[slot]), w);
  }
  shown.emplace_back("output_norm", &v.output_norm);
  shown.emplace_back("output", &v.output);
  out += fmt::format("tensors (globals and block 0 of {}):\n", c.n_layers);
  out += fmt::format("  {:<20} {:<16} {}\n", "name", "shape", "dtype");
  for (const auto& [name, t] : shown) {
    const bool tied = name == "output" && t->data == v.tok_embd.data;
    out += fmt::format("  {:<20} {:<16} {}{}\n", name, detail::format_shape(*t), traits(t->type).name,
                       tied ? " (tied to tok_embd)" : "");
  }
  for (const auto& [name, w] : shown_compressed) {
    out += fmt::format("  {:<20} {:<16} {}\n", name, fmt::format("[{}, {}]", w->n_rows, w->n_cols), layout_summary(*w));
  }

  // Totals by dtype over every distinct tensor.
  struct total {
    std::int64_t n_tensors = 0, n_params = 0, n_bytes = 0;
  };
  std::map<std::string, total> totals;
  std::unordered_set<const void*> seen;
  auto add = [&](const tensor_view& t) {
    if (t.empty() || !seen.insert(t.data).second) return;
    total& tt = totals[traits(t.type).name];
    ++tt.n_tensors;
    tt.n_params += t.n_elements();
    tt.n_bytes += storage_bytes(t);
  };
  add(v.tok_embd);
  for (const layer_tensors& l : v.layers) {
    for (const tensor_view* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.ffn_norm,
                                 &l.w_gate, &l.w_up, &l.w_down}) {
      add(*t);
    }
    for (const compressed_weight* w : l.compressed) {
      if (w == nullptr || !seen.insert(w).second) continue;
      total& tt = totals[layout_name(w->layout)];
      ++tt.n_tensors;
      tt.n_params += w->n_rows * w->n_cols;
      tt.n_bytes += static_cast<std::int64_t>(storage_bits_per_weight(*w) * static_cast<double>(w->n_rows * w->n_cols) / 8.0);
    }
  }
  add(v.output_norm);
  add(v.output);
  if (!model.compression_json.empty()) line("compression:", compression_summary(model.compression_json));
  out += "totals by dtype or compressed format:\n";
  std::int64_t all_bytes = 0;
  for (const auto& [name, t] : totals) {
    out += fmt::format("  {:<12} {:>5} tensors  {:>16} params  {}\n", name, t.n_tensors, grouped(t.n_params),
                       human(static_cast<double>(t.n_bytes), "B"));
    all_bytes += t.n_bytes;
  }
  out += fmt::format("  {:<12} {:>5}          {:>16}         {}\n", "all", seen.size(), grouped(model.n_params),
                     human(static_cast<double>(all_bytes), "B"));
  line("tokenizer:", model.tokenizer_path.empty() ? std::string("none found beside the model")
                                                  : model.tokenizer_path.string());
  return out;
}

}  // namespace kick
