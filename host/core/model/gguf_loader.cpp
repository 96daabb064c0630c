// GGUF files of architecture "llama" (and "mistral"): hyperparameters from <arch>.* metadata,
// tensors used in place. llama.cpp's converter stores Q/K rows permuted so that RoPE rotates
// interleaved pairs: the view says rope_layout::interleaved and keeps the rows as stored.
#include <fmt/format.h>

#include <cmath>

#include "core/model/ggml_types.h"
#include "core/model/gguf_file.h"
#include "core/model/loader_support.h"

namespace kick::detail {
namespace {

class gguf_reader {
 public:
  gguf_reader(const gguf_file& file, std::string arch) : file_(file), arch_(std::move(arch)), p_(file.path().string()) {}

  failure error(status_code code, const std::string& what) const { return fail(code, fmt::format("{}: {}", p_, what)); }

  // A positive integer within k_max_dim, or `fallback` when the key is absent.
  result<std::int64_t> dim(const char* suffix, std::optional<std::int64_t> fallback = std::nullopt) const {
    const std::string key = fmt::format("{}.{}", arch_, suffix);
    if (file_.find(key) == nullptr && fallback) return *fallback;
    auto v = file_.get_int(key);
    if (!v) return std::unexpected(v.error());
    if (*v <= 0 || *v > k_max_dim) {
      return error(status_code::invalid_argument,
                   fmt::format("metadata key '{}' = {} is out of range (accepted 1..{})", key, *v, k_max_dim));
    }
    return *v;
  }

  result<double> positive(const char* suffix, std::optional<double> fallback) const {
    const std::string key = fmt::format("{}.{}", arch_, suffix);
    if (file_.find(key) == nullptr && fallback) return *fallback;
    auto v = file_.get_float(key);
    if (!v) return std::unexpected(v.error());
    if (!(*v > 0.0) || !std::isfinite(*v)) {
      return error(status_code::invalid_argument, fmt::format("metadata key '{}' = {} must be positive", key, *v));
    }
    return *v;
  }

  // A tensor with row-major `shape` (GGML ne reversed); matrices in place, vectors as f32.
  result<tensor_view> get(loaded_model& model, const std::string& name, std::vector<std::int64_t> shape) const {
    const gguf_tensor_info* t = file_.find_tensor(name);
    if (t == nullptr) return error(status_code::not_found, fmt::format("tensor '{}' not found", name));
    const std::vector<std::int64_t> actual(t->ne.rbegin(), t->ne.rend());
    if (actual != shape) {
      return error(status_code::invalid_argument, fmt::format("tensor '{}' has shape {}, expected {}", name,
                                                              format_shape(actual), format_shape(shape)));
    }
    const auto type = dtype_from_ggml(t->ggml_type);
    if (!type) {
      const ggml_type_traits* tr = find_ggml_type(t->ggml_type);
      return error(status_code::unimplemented,
                   fmt::format("unsupported tensor type {} for tensor {} ({}; kick computes with f32, f16, bf16, q8_0)",
                               t->ggml_type, name, tr != nullptr ? tr->name : "unknown"));
    }
    if (shape.size() == 1) return f32_vector(model, *type, t->data, shape[0]);
    return place_tensor(model, *type, t->data, shape);
  }

 private:
  const gguf_file& file_;
  std::string arch_;
  std::string p_;
};

}  // namespace

result<loaded_model> load_gguf_model(const std::filesystem::path& path) {
  auto opened = gguf_file::open(path);
  if (!opened) return std::unexpected(opened.error());
  const gguf_file& f = *opened;
  const std::string p = path.string();
  if (f.tensors().empty()) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: gguf file has no tensors (a vocab-only file?): usable as a tokenizer, not as a model", p));
  }
  auto arch = f.get_string("general.architecture");
  if (!arch) return std::unexpected(arch.error());
  if (*arch != "llama" && *arch != "mistral") {
    return fail(status_code::unimplemented,
                fmt::format("{}: gguf architecture '{}' is not supported (accepted llama, mistral)", p, *arch));
  }
  const gguf_reader r(f, *arch);
  for (const char* key : {"rope.scaling.type", "rope.scaling.factor"}) {
    const std::string k = fmt::format("{}.{}", *arch, key);
    const gguf_value* v = f.find(k);
    const bool trivial = v == nullptr || (v->type == gguf_type::string && v->s == "none") ||
                         (v->type == gguf_type::f32 && (v->f == 0.0 || v->f == 1.0));
    if (!trivial) return r.error(status_code::unimplemented, fmt::format("metadata key '{}' (rope scaling) is not implemented", k));
  }
  if (f.find_tensor("rope_freqs.weight") != nullptr) {
    return r.error(status_code::unimplemented, "tensor 'rope_freqs.weight' (llama3 rope frequency factors) is not implemented");
  }

  llama_config c;
  c.architecture = *arch;
  c.rope = rope_layout::interleaved;
  const status read[] = {
      assign(c.n_embd, r.dim("embedding_length")),
      assign(c.n_layers, r.dim("block_count")),
      assign(c.n_ff, r.dim("feed_forward_length")),
      assign(c.n_heads, r.dim("attention.head_count")),
      assign(c.n_kv_heads, r.dim("attention.head_count_kv", c.n_heads)),
      assign(c.n_ctx_train, r.dim("context_length", 0)),
      assign(c.rope_theta, r.positive("rope.freq_base", 10000.0)),
      assign(c.rms_norm_eps, r.positive("attention.layer_norm_rms_epsilon", 1e-5)),
  };
  for (const status& s : read) {
    if (!s.ok()) return fail(s);
  }
  if (c.n_embd % c.n_heads != 0 && f.find(*arch + ".attention.key_length") == nullptr) {
    return r.error(status_code::invalid_argument,
                   fmt::format("embedding_length {} is not a multiple of head_count {}", c.n_embd, c.n_heads));
  }
  if (auto s = assign(c.head_dim, r.dim("attention.key_length", c.n_embd / c.n_heads)); !s.ok()) return fail(s);
  std::int64_t n_rot = 0;
  if (auto s = assign(n_rot, r.dim("rope.dimension_count", c.head_dim)); !s.ok()) return fail(s);
  if (n_rot != c.head_dim) {
    return r.error(status_code::unimplemented,
                   fmt::format("partial rotary embedding (rope.dimension_count {} != head dim {}) is not implemented",
                               n_rot, c.head_dim));
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return r.error(status_code::invalid_argument,
                   fmt::format("head_count {} is not a multiple of head_count_kv {}", c.n_heads, c.n_kv_heads));
  }
  // Vocabulary size: explicit key, else the embedded token list, else the embedding's rows.
  const gguf_tensor_info* embd = f.find_tensor("token_embd.weight");
  if (f.find(*arch + ".vocab_size") != nullptr) {
    if (auto s = assign(c.n_vocab, r.dim("vocab_size")); !s.ok()) return fail(s);
  } else if (const gguf_value* tokens = f.find("tokenizer.ggml.tokens");
             tokens != nullptr && tokens->type == gguf_type::array && !tokens->array_strings.empty()) {
    c.n_vocab = static_cast<std::int64_t>(tokens->array_strings.size());
  } else if (embd != nullptr && embd->ne.size() == 2) {
    c.n_vocab = embd->ne[1];
  }
  c.qkv_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  if (f.find_tensor("blk.0.attn_output.bias") != nullptr) {
    return r.error(status_code::unimplemented, "tensor 'blk.0.attn_output.bias' is present: output biases are not implemented");
  }

  loaded_model model;
  model.path = path;
  model.format = model_format::gguf;
  model.files.push_back(f.file());
  model_view& v = model.view;
  v.config = c;
  static const tensor_naming k_names = {
      "token_embd.weight",      "blk.{}.attn_norm.weight", "blk.{}.attn_q.weight",  "blk.{}.attn_k.weight",
      "blk.{}.attn_v.weight",   "blk.{}.attn_output.weight", "blk.{}.attn_q.bias",  "blk.{}.attn_k.bias",
      "blk.{}.attn_v.bias",     "blk.{}.ffn_norm.weight",  "blk.{}.ffn_gate.weight", "blk.{}.ffn_up.weight",
      "blk.{}.ffn_down.weight", "output_norm.weight"};
  const tensor_lookup lookup = [&](const std::string& name, std::vector<std::int64_t> shape) {
    return r.get(model, name, std::move(shape));
  };
  status error = take_llama_tensors(v, k_names, lookup);
  if (f.find_tensor("output.weight") == nullptr) {
    v.config.tied_embeddings = true;
    v.output = v.tok_embd;
  } else {
    if (error.ok()) {
      auto output = lookup("output.weight", {c.n_vocab, c.n_embd});
      if (output) v.output = *output;
      else error = output.error();
    }
  }
  if (!error.ok()) return fail(error);
  if (auto s = validate_model_view(v); !s.ok()) return fail(s.with_context(p));
  model.n_params = count_params(v);
  if (f.find("tokenizer.ggml.tokens") != nullptr) model.tokenizer_path = path;
  return model;
}

}  // namespace kick::detail
