// HuggingFace directory: config.json + model.safetensors, or shards listed by
// model.safetensors.index.json. Tensors are used in place from the mapped shards. A model saved
// by kick (save_compressed_model.h) also carries compressed linear layers: their descriptors in
// __metadata__["kick.layouts"] and their layout tensors (layout_tensors.h) replace P.weight.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/model/hf_config.h"
#include "core/model/layout_tensors.h"
#include "core/model/loader_support.h"
#include "core/model/safetensors_file.h"

namespace kick::detail {
namespace {

// HF names of a block's linear layers, in linear_slot order.
constexpr const char* k_hf_linear_names[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                             "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

struct located_tensor {
  const safetensors_file* file = nullptr;
  const safetensors_tensor* tensor = nullptr;
};

// Every tensor of the checkpoint by name, and the shards that hold them (kept alive by the caller).
struct tensor_index {
  std::vector<std::unique_ptr<safetensors_file>> shards;
  std::map<std::string, located_tensor> tensors;
};

status add_shard(tensor_index& index, const std::filesystem::path& path) {
  auto file = safetensors_file::open(path);
  if (!file) return file.error();
  index.shards.push_back(std::make_unique<safetensors_file>(std::move(*file)));
  return {};
}

result<tensor_index> read_index(const std::filesystem::path& dir) {
  tensor_index index;
  const auto index_path = dir / "model.safetensors.index.json";
  if (!std::filesystem::exists(index_path)) {
    const auto single = dir / "model.safetensors";
    if (!std::filesystem::exists(single)) {
      return fail(status_code::not_found,
                  fmt::format("{}: no model.safetensors or model.safetensors.index.json in this directory", dir.string()));
    }
    if (auto s = add_shard(index, single); !s.ok()) return fail(s);
    for (const auto& [name, t] : index.shards[0]->tensors()) index.tensors[name] = {index.shards[0].get(), &t};
    return index;
  }
  const std::string p = index_path.string();
  std::ifstream in(index_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  const auto map_it = j.is_object() ? j.find("weight_map") : j.end();
  if (j.is_discarded() || !j.is_object() || map_it == j.end() || !map_it->is_object()) {
    return fail(status_code::invalid_argument, fmt::format("{}: not a json object with a 'weight_map' object", p));
  }
  std::map<std::string, safetensors_file*> shard_by_name;
  for (const auto& [tensor_name, shard] : map_it->items()) {
    if (!shard.is_string()) {
      return fail(status_code::invalid_argument, fmt::format("{}: weight_map entry '{}' is not a string", p, tensor_name));
    }
    const std::string shard_name = shard.get<std::string>();
    const std::filesystem::path shard_rel(shard_name);
    if (shard_name.empty() || shard_rel.has_parent_path() || shard_name == "." || shard_name == "..") {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: weight_map names shard '{}' for tensor '{}': expected a file name in the same directory",
                              p, shard_name, tensor_name));
    }
    auto it = shard_by_name.find(shard_name);
    if (it == shard_by_name.end()) {
      if (!std::filesystem::exists(dir / shard_rel)) {
        return fail(status_code::not_found,
                    fmt::format("{}: shard '{}' (named for tensor '{}') does not exist", p, shard_name, tensor_name));
      }
      if (auto s = add_shard(index, dir / shard_rel); !s.ok()) return fail(s);
      it = shard_by_name.emplace(shard_name, index.shards.back().get()).first;
    }
    const safetensors_tensor* t = it->second->find(tensor_name);
    if (t == nullptr) {
      return fail(status_code::not_found,
                  fmt::format("{}: names tensor '{}' in shard '{}' but that shard does not contain it", p, tensor_name,
                              shard_name));
    }
    index.tensors[tensor_name] = {it->second, t};
  }
  return index;
}

// kick's metadata of a saved compressed model (core/model/save_compressed_model.h): the layout
// descriptors by layer prefix, and the compression block, with the files that hold them.
struct kick_metadata {
  nlohmann::json layouts = nlohmann::json::object();
  std::map<std::string, std::string> layout_file;  // prefix -> file holding its descriptor
  std::string compression_json;
};

result<kick_metadata> read_kick_metadata(const tensor_index& index) {
  kick_metadata out;
  for (const auto& shard : index.shards) {
    const auto& meta = shard->metadata();
    const std::string p = shard->path().string();
    if (const auto it = meta.find(k_layouts_metadata_key); it != meta.end()) {
      const auto layouts = nlohmann::json::parse(it->second, nullptr, false);
      if (layouts.is_discarded() || !layouts.is_object()) {
        return fail(status_code::invalid_argument, fmt::format("{}: __metadata__ '{}' is not a json object", p, k_layouts_metadata_key));
      }
      for (const auto& [prefix, descriptor] : layouts.items()) {
        if (out.layouts.contains(prefix)) {
          return fail(status_code::invalid_argument, fmt::format("{}: layout of '{}' is described in two shards", p, prefix));
        }
        out.layouts[prefix] = descriptor;
        out.layout_file[prefix] = p;
      }
    }
    if (const auto it = meta.find(k_compression_metadata_key); it != meta.end() && out.compression_json.empty()) {
      const auto compression = nlohmann::json::parse(it->second, nullptr, false);
      if (compression.is_discarded() || !compression.is_object()) {
        return fail(status_code::invalid_argument, fmt::format("{}: __metadata__ '{}' is not a json object", p, k_compression_metadata_key));
      }
      out.compression_json = it->second;
    }
  }
  return out;
}

class hf_builder {
 public:
  hf_builder(const tensor_index& index, const kick_metadata& kick, loaded_model& model, std::filesystem::path dir)
      : index_(index), kick_(kick), model_(model), dir_(std::move(dir)) {}

  bool has(const std::string& name) const { return index_.tensors.contains(name); }

  // The layout prefix of a linear weight stored compressed ("P" for "P.weight"), or empty.
  std::string compressed_prefix(const std::string& name) const {
    constexpr std::string_view suffix = ".weight";
    if (!name.ends_with(suffix)) return {};
    std::string prefix = name.substr(0, name.size() - suffix.size());
    return kick_.layouts.contains(prefix) ? prefix : std::string();
  }

  // A tensor with exactly `shape`; matrices are used in place, vectors converted to f32. A
  // compressed linear weight yields an empty view once its descriptor's shape is checked (its
  // layout is read by take_compressed).
  result<tensor_view> get(const std::string& name, std::vector<std::int64_t> shape) const {
    if (const std::string prefix = compressed_prefix(name); !prefix.empty()) {
      const std::string& p = kick_.layout_file.at(prefix);
      if (has(name)) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: tensor '{}' is present but '{}' also has a compressed layout", p, name, prefix));
      }
      const nlohmann::json& d = kick_.layouts[prefix];
      const auto it = d.is_object() ? d.find("shape") : d.end();
      if (it == d.end() || *it != nlohmann::json(shape)) {
        return fail(status_code::invalid_argument, fmt::format("{}: layout of '{}' has shape {}, expected {}", p, prefix,
                                                               it == d.end() ? std::string("(none)") : it->dump(), format_shape(shape)));
      }
      return tensor_view{};
    }
    const auto it = index_.tensors.find(name);
    if (it == index_.tensors.end()) {
      return fail(status_code::not_found, fmt::format("{}: tensor '{}' not found in the checkpoint", dir_.string(), name));
    }
    const auto& [file, t] = it->second;
    const std::string p = file->path().string();
    if (t->shape != shape) {
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has shape {}, expected {}", p, name,
                                                             format_shape(t->shape), format_shape(shape)));
    }
    if (!t->type) {
      return fail(status_code::unimplemented,
                  fmt::format("{}: tensor '{}' has dtype {} (kick reads F32, F16 and BF16)", p, name, t->dtype_name));
    }
    if (shape.size() == 1) return f32_vector(model_, *t->type, t->data, shape[0]);
    return place_tensor(model_, *t->type, t->data, shape);
  }

 private:
  const tensor_index& index_;
  const kick_metadata& kick_;
  loaded_model& model_;
  std::filesystem::path dir_;
};

// Builds every compressed linear layer the metadata describes and points the view at it.
// Every descriptor must name a linear layer of the model.
status take_compressed(loaded_model& model, const tensor_index& index, const kick_metadata& kick) {
  std::set<std::string> used;
  for (std::size_t i = 0; i < model.view.layers.size(); ++i) {
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      const std::string prefix = fmt::format("model.layers.{}.{}", i, k_hf_linear_names[slot]);
      if (!kick.layouts.contains(prefix)) continue;
      const std::string& p = kick.layout_file.at(prefix);
      const tensor_finder find = [&](const std::string& name) {
        const auto it = index.tensors.find(name);
        if (it == index.tensors.end()) return found_tensor{nullptr, p};
        return found_tensor{it->second.tensor, it->second.file->path().string(), it->second.file->file().get()};
      };
      auto w = layout_from_tensors(find, prefix, kick.layouts[prefix], p);
      if (!w) return w.error();
      if (std::holds_alternative<dense_layout>(w->layout)) {
        return fail(status_code::invalid_argument, fmt::format("{}: layout of '{}' is dense", p, prefix));
      }
      model.owned_compressed.push_back(std::make_unique<compressed_weight>(std::move(*w)));
      model.view.layers[i].compressed[slot] = model.owned_compressed.back().get();
      used.insert(prefix);
    }
  }
  for (const auto& [prefix, descriptor] : kick.layouts.items()) {
    if (!used.contains(prefix)) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: '{}' has a compressed layout but is not a linear layer of this model", kick.layout_file.at(prefix), prefix));
    }
  }
  return {};
}

}  // namespace

result<loaded_model> load_hf_model(const std::filesystem::path& dir) {
  auto config = read_hf_config(dir / "config.json");
  if (!config) return std::unexpected(config.error());
  auto index = read_index(dir);
  if (!index) return std::unexpected(index.error());

  loaded_model model;
  model.path = dir;
  model.format = model_format::hf;
  for (const auto& shard : index->shards) model.files.push_back(shard->file());
  auto kick = read_kick_metadata(*index);
  if (!kick) return std::unexpected(kick.error());
  model.compression_json = kick->compression_json;
  llama_config& c = *config;
  const hf_builder b(*index, *kick, model, dir);
  if (b.has("model.layers.0.self_attn.q_proj.bias")) c.qkv_bias = true;
  for (const char* unsupported : {"model.layers.0.self_attn.o_proj.bias", "model.layers.0.mlp.gate_proj.bias",
                                  "model.layers.0.mlp.up_proj.bias", "model.layers.0.mlp.down_proj.bias"}) {
    if (b.has(unsupported)) {
      return fail(status_code::unimplemented,
                  fmt::format("{}: tensor '{}' is present: output/mlp biases are not implemented", dir.string(), unsupported));
    }
  }

  model_view& v = model.view;
  v.config = c;
  static const tensor_naming k_names = {
      "model.embed_tokens.weight",
      "model.layers.{}.input_layernorm.weight",
      "model.layers.{}.self_attn.q_proj.weight",
      "model.layers.{}.self_attn.k_proj.weight",
      "model.layers.{}.self_attn.v_proj.weight",
      "model.layers.{}.self_attn.o_proj.weight",
      "model.layers.{}.self_attn.q_proj.bias",
      "model.layers.{}.self_attn.k_proj.bias",
      "model.layers.{}.self_attn.v_proj.bias",
      "model.layers.{}.post_attention_layernorm.weight",
      "model.layers.{}.mlp.gate_proj.weight",
      "model.layers.{}.mlp.up_proj.weight",
      "model.layers.{}.mlp.down_proj.weight",
      "model.norm.weight"};
  const tensor_lookup lookup = [&](const std::string& name, std::vector<std::int64_t> shape) {
    return b.get(name, std::move(shape));
  };
  status error = take_llama_tensors(v, k_names, lookup);
  if (c.tied_embeddings) {
    v.output = v.tok_embd;
  } else if (!b.has("lm_head.weight") && error.ok()) {
    return fail(status_code::not_found,
                fmt::format("{}: tensor 'lm_head.weight' not found and config.json does not set tie_word_embeddings",
                            dir.string()));
  } else {
    if (error.ok()) {
      auto output = lookup("lm_head.weight", {c.n_vocab, c.n_embd});
      if (output) v.output = *output;
      else error = output.error();
    }
  }
  if (!error.ok()) return fail(error);
  if (auto s = take_compressed(model, *index, *kick); !s.ok()) return fail(s);
  if (auto s = validate_model_view(v); !s.ok()) return fail(s.with_context(dir.string()));
  model.n_params = count_params(v);
  // A SentencePiece model, else a llama2.c tokenizer.bin (kick saves a llama2.c source's that way).
  for (const char* name : {"tokenizer.model", "tokenizer.bin"}) {
    if (std::filesystem::exists(dir / name)) {
      model.tokenizer_path = dir / name;
      break;
    }
  }
  return model;
}

}  // namespace kick::detail
