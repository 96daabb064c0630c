#include "model-files/model_writers.h"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "kick/convert.h"

namespace kick::test {
namespace {

std::uint32_t ggml_id(dtype t) {
  switch (t) {
    case dtype::f32: return 0;
    case dtype::f16: return 1;
    case dtype::q8_0: return 8;
    case dtype::bf16: return 30;
  }
  return 0;
}

const char* st_dtype(dtype t) {
  switch (t) {
    case dtype::f32: return "F32";
    case dtype::f16: return "F16";
    case dtype::bf16: return "BF16";
    case dtype::q8_0: return "Q8_0?";
  }
  return "?";
}

std::vector<std::int64_t> shape_of(const tensor_view& t) { return {t.shape, t.shape + t.n_dims}; }

// GGML dims: reversed shape.
std::vector<std::uint64_t> ne_of(const tensor_view& t) {
  std::vector<std::uint64_t> ne;
  for (int i = t.n_dims - 1; i >= 0; --i) ne.push_back(static_cast<std::uint64_t>(t.shape[i]));
  return ne;
}

// The row map that brings `view`'s Q/K rows into `want` layout (empty when nothing moves).
std::vector<std::int64_t> qk_rows(const llama_config& c, std::int64_t n_heads, rope_layout want) {
  if (c.rope == want) return {};
  return want == rope_layout::interleaved ? interleaved_from_hf(n_heads, c.head_dim)
                                          : hf_from_interleaved(n_heads, c.head_dim);
}

// A 1-D bias is permuted like the rows of its matrix.
std::string encode_vector(const tensor_view& t, dtype target, const std::vector<std::int64_t>& rows) {
  const std::vector<float> v = to_f32(t);
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = rows.empty() ? v[i] : v[static_cast<std::size_t>(rows[i])];
  std::string bytes(static_cast<std::size_t>(row_size_bytes(target, static_cast<std::int64_t>(out.size()))), '\0');
  quantize_row(target, out.data(), bytes.data(), static_cast<std::int64_t>(out.size()));
  return bytes;
}

}  // namespace

llama_config tiny_config() {
  llama_config c;
  c.n_vocab = 64;
  c.n_embd = 64;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 16;
  c.n_ff = 96;
  c.n_ctx_train = 128;
  c.rope_theta = 10000.0;
  c.rms_norm_eps = 1e-5;
  return c;
}

std::vector<float> to_f32(const tensor_view& t) {
  std::vector<float> out(static_cast<std::size_t>(t.n_elements()));
  for (std::int64_t r = 0; r < t.n_rows(); ++r) dequantize_row(t.type, t.row(r), out.data() + r * t.n_cols(), t.n_cols());
  return out;
}

std::string encode_rows(const tensor_view& t, dtype target, const std::vector<std::int64_t>& src_rows) {
  const std::int64_t out_row = row_size_bytes(target, t.n_cols());
  std::string out(static_cast<std::size_t>(out_row * t.n_rows()), '\0');
  std::vector<float> scratch(static_cast<std::size_t>(t.n_cols()));
  for (std::int64_t i = 0; i < t.n_rows(); ++i) {
    const std::int64_t src = src_rows.empty() ? i : src_rows[static_cast<std::size_t>(i)];
    if (t.type == target) {
      std::memcpy(out.data() + i * out_row, t.row(src), static_cast<std::size_t>(out_row));
    } else {
      dequantize_row(t.type, t.row(src), scratch.data(), t.n_cols());
      quantize_row(target, scratch.data(), out.data() + i * out_row, t.n_cols());
    }
  }
  return out;
}

std::int64_t hf_row_to_interleaved(std::int64_t r, std::int64_t head_dim) {
  const std::int64_t half = head_dim / 2;
  return 2 * (r % half) + r / half;
}

std::vector<std::int64_t> interleaved_from_hf(std::int64_t n_heads, std::int64_t head_dim) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n_heads * head_dim));
  for (std::int64_t h = 0; h < n_heads; ++h) {
    for (std::int64_t r = 0; r < head_dim; ++r) rows[static_cast<std::size_t>(h * head_dim + hf_row_to_interleaved(r, head_dim))] = h * head_dim + r;
  }
  return rows;
}

std::vector<std::int64_t> hf_from_interleaved(std::int64_t n_heads, std::int64_t head_dim) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n_heads * head_dim));
  for (std::int64_t h = 0; h < n_heads; ++h) {
    for (std::int64_t r = 0; r < head_dim; ++r) rows[static_cast<std::size_t>(h * head_dim + r)] = h * head_dim + hf_row_to_interleaved(r, head_dim);
  }
  return rows;
}

gguf_writer gguf_model_writer(const model_view& view, const gguf_model_options& o) {
  const llama_config& c = view.config;
  gguf_writer w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", "kick test model");
  w.add_u32("llama.context_length", static_cast<std::uint32_t>(c.n_ctx_train));
  w.add_u32("llama.embedding_length", static_cast<std::uint32_t>(c.n_embd));
  w.add_u32("llama.block_count", static_cast<std::uint32_t>(c.n_layers));
  w.add_u32("llama.feed_forward_length", static_cast<std::uint32_t>(c.n_ff));
  w.add_u32("llama.rope.dimension_count", static_cast<std::uint32_t>(c.head_dim));
  w.add_u32("llama.attention.head_count", static_cast<std::uint32_t>(c.n_heads));
  w.add_u32("llama.attention.head_count_kv", static_cast<std::uint32_t>(c.n_kv_heads));
  w.add_f32("llama.rope.freq_base", static_cast<float>(c.rope_theta));
  w.add_f32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  if (o.with_vocab) {
    std::vector<std::string> tokens;
    for (std::int64_t i = 0; i < c.n_vocab; ++i) tokens.push_back(fmt::format("tok{}", i));
    w.add_string("tokenizer.ggml.model", "llama");
    w.add_string_array("tokenizer.ggml.tokens", tokens);
  }
  const auto matrix = [&](const std::string& name, const tensor_view& t, const std::vector<std::int64_t>& rows = {}) {
    w.add_tensor(name, ne_of(t), ggml_id(o.weight_type), encode_rows(t, o.weight_type, rows));
  };
  const auto vector = [&](const std::string& name, const tensor_view& t, const std::vector<std::int64_t>& rows = {}) {
    w.add_tensor(name, ne_of(t), 0, encode_vector(t, dtype::f32, rows));
  };
  const auto q_rows = qk_rows(c, c.n_heads, rope_layout::interleaved);
  const auto k_rows = qk_rows(c, c.n_kv_heads, rope_layout::interleaved);
  matrix("token_embd.weight", view.tok_embd);
  for (std::size_t i = 0; i < view.layers.size(); ++i) {
    const layer_tensors& l = view.layers[i];
    const std::string pre = fmt::format("blk.{}.", i);
    vector(pre + "attn_norm.weight", l.attn_norm);
    matrix(pre + "attn_q.weight", l.wq, q_rows);
    matrix(pre + "attn_k.weight", l.wk, k_rows);
    matrix(pre + "attn_v.weight", l.wv);
    matrix(pre + "attn_output.weight", l.wo);
    if (c.qkv_bias) {
      vector(pre + "attn_q.bias", l.bq, q_rows);
      vector(pre + "attn_k.bias", l.bk, k_rows);
      vector(pre + "attn_v.bias", l.bv);
    }
    vector(pre + "ffn_norm.weight", l.ffn_norm);
    matrix(pre + "ffn_gate.weight", l.w_gate);
    matrix(pre + "ffn_up.weight", l.w_up);
    matrix(pre + "ffn_down.weight", l.w_down);
  }
  vector("output_norm.weight", view.output_norm);
  if (o.write_output && !c.tied_embeddings) matrix("output.weight", view.output);
  return w;
}

void write_gguf_model(const model_view& view, const std::filesystem::path& path, const gguf_model_options& options) {
  gguf_model_writer(view, options).write(path, options.version);
}

std::string serialize_safetensors(const std::vector<safetensors_entry>& entries) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const auto& e : entries) {
    header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {data.size(), data.size() + e.bytes.size()}}};
    data += e.bytes;
  }
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  std::string out;
  append_le<std::uint64_t>(out, text.size());
  out += text;
  out += data;
  return out;
}

std::string hf_config_json(const llama_config& c, const std::string& model_type) {
  nlohmann::json j = {
      {"architectures", {model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
      {"model_type", model_type},
      {"hidden_size", c.n_embd},
      {"intermediate_size", c.n_ff},
      {"num_hidden_layers", c.n_layers},
      {"num_attention_heads", c.n_heads},
      {"num_key_value_heads", c.n_kv_heads},
      {"head_dim", c.head_dim},
      {"vocab_size", c.n_vocab},
      {"max_position_embeddings", c.n_ctx_train},
      {"rms_norm_eps", c.rms_norm_eps},
      {"rope_theta", c.rope_theta},
      {"rope_scaling", nullptr},
      {"hidden_act", "silu"},
      {"tie_word_embeddings", c.tied_embeddings},
      {"torch_dtype", "float32"},
  };
  if (c.qkv_bias && model_type != "qwen2") j["attention_bias"] = true;
  return j.dump(2);
}

void write_hf_model(const model_view& view, const std::filesystem::path& dir, const hf_model_options& o) {
  const llama_config& c = view.config;
  std::filesystem::create_directories(dir);
  write_bytes(dir / "config.json", hf_config_json(c, o.model_type));
  std::vector<safetensors_entry> entries;
  const auto add = [&](const std::string& name, const tensor_view& t, const std::vector<std::int64_t>& rows = {}) {
    std::string bytes = t.n_dims == 1 ? encode_vector(t, o.weight_type, rows) : encode_rows(t, o.weight_type, rows);
    entries.push_back({name, st_dtype(o.weight_type), shape_of(t), std::move(bytes)});
  };
  const auto q_rows = qk_rows(c, c.n_heads, rope_layout::rotate_half);
  const auto k_rows = qk_rows(c, c.n_kv_heads, rope_layout::rotate_half);
  add("model.embed_tokens.weight", view.tok_embd);
  for (std::size_t i = 0; i < view.layers.size(); ++i) {
    const layer_tensors& l = view.layers[i];
    const std::string pre = fmt::format("model.layers.{}.", i);
    add(pre + "input_layernorm.weight", l.attn_norm);
    add(pre + "self_attn.q_proj.weight", l.wq, q_rows);
    add(pre + "self_attn.k_proj.weight", l.wk, k_rows);
    add(pre + "self_attn.v_proj.weight", l.wv);
    add(pre + "self_attn.o_proj.weight", l.wo);
    if (c.qkv_bias) {
      add(pre + "self_attn.q_proj.bias", l.bq, q_rows);
      add(pre + "self_attn.k_proj.bias", l.bk, k_rows);
      add(pre + "self_attn.v_proj.bias", l.bv);
    }
    add(pre + "post_attention_layernorm.weight", l.ffn_norm);
    add(pre + "mlp.gate_proj.weight", l.w_gate);
    add(pre + "mlp.up_proj.weight", l.w_up);
    add(pre + "mlp.down_proj.weight", l.w_down);
  }
  add("model.norm.weight", view.output_norm);
  if (!c.tied_embeddings) add("lm_head.weight", view.output);

  if (o.n_shards <= 1) {
    write_bytes(dir / "model.safetensors", serialize_safetensors(entries));
    return;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  const std::size_t per_shard = (entries.size() + static_cast<std::size_t>(o.n_shards) - 1) / static_cast<std::size_t>(o.n_shards);
  for (int s = 0; s < o.n_shards; ++s) {
    const std::string shard = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, o.n_shards);
    std::vector<safetensors_entry> part;
    for (std::size_t i = static_cast<std::size_t>(s) * per_shard; i < std::min(entries.size(), (static_cast<std::size_t>(s) + 1) * per_shard); ++i) {
      part.push_back(entries[i]);
      weight_map[entries[i].name] = shard;
    }
    write_bytes(dir / shard, serialize_safetensors(part));
  }
  const nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}};
  write_bytes(dir / "model.safetensors.index.json", index.dump(2));
}

void write_llama2c_model(const model_view& view, const std::filesystem::path& path) {
  const llama_config& c = view.config;
  std::string out;
  const std::int32_t vocab = static_cast<std::int32_t>(c.tied_embeddings ? c.n_vocab : -c.n_vocab);
  for (std::int64_t v : {c.n_embd, c.n_ff, c.n_layers, c.n_heads, c.n_kv_heads}) append_le<std::int32_t>(out, static_cast<std::int32_t>(v));
  append_le<std::int32_t>(out, vocab);
  append_le<std::int32_t>(out, static_cast<std::int32_t>(c.n_ctx_train));
  const auto q_rows = qk_rows(c, c.n_heads, rope_layout::interleaved);
  const auto k_rows = qk_rows(c, c.n_kv_heads, rope_layout::interleaved);
  const auto put = [&](const tensor_view& t, const std::vector<std::int64_t>& rows = {}) {
    out += t.n_dims == 1 ? encode_vector(t, dtype::f32, rows) : encode_rows(t, dtype::f32, rows);
  };
  put(view.tok_embd);
  for (const auto& l : view.layers) put(l.attn_norm);
  for (const auto& l : view.layers) put(l.wq, q_rows);
  for (const auto& l : view.layers) put(l.wk, k_rows);
  for (const auto& l : view.layers) put(l.wv);
  for (const auto& l : view.layers) put(l.wo);
  for (const auto& l : view.layers) put(l.ffn_norm);
  for (const auto& l : view.layers) put(l.w_gate);
  for (const auto& l : view.layers) put(l.w_down);
  for (const auto& l : view.layers) put(l.w_up);
  put(view.output_norm);
  out.append(static_cast<std::size_t>(c.n_ctx_train * c.head_dim) * sizeof(float), '\0');  // legacy RoPE tables
  if (!c.tied_embeddings) put(view.output);
  write_bytes(path, out);
}

}  // namespace kick::test
