#include "core/model/save_compressed_model.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/hf_config.h"
#include "core/model/layout_tensors.h"
#include "core/model/safetensors_writer.h"
#include "kick/convert.h"

namespace kick {
namespace {

using nlohmann::json;

constexpr const char* k_linear_prefixes[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                             "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

// A tensor_view as a safetensors tensor: f32/f16/bf16 contiguous data in place, q8_0 (or a
// strided view) converted/copied into an owned buffer.
safetensors_out_tensor view_tensor(std::string name, const tensor_view& t) {
  safetensors_out_tensor out;
  out.name = std::move(name);
  const std::int64_t rows = t.n_rows(), cols = t.n_cols();
  out.shape = t.n_dims >= 2 ? std::vector<std::int64_t>{rows, cols} : std::vector<std::int64_t>{cols};
  const std::int64_t row_bytes = row_size_bytes(t.type, cols);
  if (t.type == dtype::q8_0) {
    out.dtype_name = "F32";
    out.owned.resize(static_cast<std::size_t>(rows * cols) * sizeof(float));
    auto* dst = reinterpret_cast<float*>(out.owned.data());
    for (std::int64_t r = 0; r < rows; ++r) dequantize_row(t.type, t.row(r), dst + r * cols, cols);
    return out;
  }
  out.dtype_name = t.type == dtype::f32 ? "F32" : t.type == dtype::f16 ? "F16" : "BF16";
  if (t.n_dims < 2 || t.row_stride_bytes() == row_bytes) {
    out.data = std::span<const std::byte>(static_cast<const std::byte*>(t.data), static_cast<std::size_t>(rows * row_bytes));
    return out;
  }
  out.owned.resize(static_cast<std::size_t>(rows * row_bytes));
  for (std::int64_t r = 0; r < rows; ++r) std::memcpy(out.owned.data() + r * row_bytes, t.row(r), static_cast<std::size_t>(row_bytes));
  return out;
}

json hf_config(const loaded_model& model) {
  return detail::hf_config_json(model.view.config, model.compression_json, "float32");
}

status copy_tokenizer(const std::filesystem::path& source, const std::filesystem::path& out_dir) {
  const bool llama2c = source.extension() == ".bin";
  const std::filesystem::path target = out_dir / (llama2c ? "tokenizer.bin" : "tokenizer.model");
  const std::filesystem::path other = out_dir / (llama2c ? "tokenizer.model" : "tokenizer.bin");
  std::error_code ec;
  if (std::filesystem::exists(other, ec) && !std::filesystem::equivalent(other, source, ec)) std::filesystem::remove(other, ec);
  if (std::filesystem::exists(target, ec) && std::filesystem::equivalent(target, source, ec)) return {};
  std::ifstream in(source, std::ios::binary);
  if (!in) return fail(status_code::not_found, fmt::format("{}: cannot open the tokenizer to copy", source.string()));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail(status_code::unavailable, fmt::format("{}: read failed", source.string()));
  return write_file_atomically(target, bytes);
}

}  // namespace

status check_tokenizer_exportable(const std::filesystem::path& tokenizer_source) {
  if (tokenizer_source.empty()) return {};
  std::ifstream in(tokenizer_source, std::ios::binary);
  if (!in) return fail(status_code::not_found, fmt::format("{}: cannot open the tokenizer", tokenizer_source.string()));
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0) {
    return fail(status_code::failed_precondition,
                fmt::format("{}: the tokenizer is embedded in a GGUF file, which a saved model directory cannot carry; pass "
                            "--tokenizer a SentencePiece tokenizer.model or a llama2.c tokenizer.bin",
                            tokenizer_source.string()));
  }
  return {};
}

status save_compressed_model(const loaded_model& model, const std::filesystem::path& out_dir,
                             const std::filesystem::path& tokenizer_source) {
  if (status s = check_tokenizer_exportable(tokenizer_source); !s.ok()) return s;
  const model_view& v = model.view;
  if (status s = validate_model_view(v); !s.ok()) return s.with_context("save");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir))
    return fail(status_code::unavailable, fmt::format("{}: cannot create the output directory{}", out_dir.string(),
                                                      ec ? fmt::format(" ({})", ec.message()) : std::string()));
  if (std::filesystem::exists(out_dir / "model.safetensors.index.json", ec))
    return fail(status_code::failed_precondition,
                fmt::format("{}: holds a model.safetensors.index.json, which would shadow the saved model.safetensors; "
                            "choose an empty directory",
                            out_dir.string()));

  std::vector<safetensors_out_tensor> tensors;
  json layouts = json::object();
  tensors.push_back(view_tensor("model.embed_tokens.weight", v.tok_embd));
  for (std::size_t i = 0; i < v.layers.size(); ++i) {
    const layer_tensors& l = v.layers[i];
    const std::string block = fmt::format("model.layers.{}", i);
    tensors.push_back(view_tensor(block + ".input_layernorm.weight", l.attn_norm));
    tensors.push_back(view_tensor(block + ".post_attention_layernorm.weight", l.ffn_norm));
    const std::pair<const tensor_view*, const char*> biases[] = {
        {&l.bq, "self_attn.q_proj"}, {&l.bk, "self_attn.k_proj"}, {&l.bv, "self_attn.v_proj"}};
    for (const auto& [t, name] : biases)
      if (!t->empty()) tensors.push_back(view_tensor(fmt::format("{}.{}.bias", block, name), *t));
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      const std::string prefix = fmt::format("{}.{}", block, k_linear_prefixes[slot]);
      const compressed_weight* w = l.compressed[slot];
      if (w == nullptr) {
        tensors.push_back(view_tensor(prefix + ".weight", l.linear(static_cast<linear_slot>(slot))));
        continue;
      }
      auto layout = layout_tensors(*w, prefix);
      if (!layout) return layout.error().with_context("save");
      for (auto& t : *layout) tensors.push_back(std::move(t));
      layouts[prefix] = layout_descriptor(*w);
    }
  }
  tensors.push_back(view_tensor("model.norm.weight", v.output_norm));
  if (!v.config.tied_embeddings) tensors.push_back(view_tensor("lm_head.weight", v.output));

  std::map<std::string, std::string> metadata = {{"format", "pt"}};
  if (!layouts.empty()) metadata[k_layouts_metadata_key] = layouts.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!model.compression_json.empty()) metadata[k_compression_metadata_key] = model.compression_json;

  // Weights first: a config.json naming a model that is not there yet would be worse than the reverse.
  if (status s = write_safetensors(out_dir / "model.safetensors", tensors, metadata); !s.ok()) return s;
  if (status s = write_file_atomically(out_dir / "config.json", hf_config(model).dump(2, ' ', false, json::error_handler_t::replace) + "\n"); !s.ok()) return s;
  if (!tokenizer_source.empty()) return copy_tokenizer(tokenizer_source, out_dir);
  return {};
}

}  // namespace kick
