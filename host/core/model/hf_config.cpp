#include "core/model/hf_config.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/model/loader_support.h"

namespace kick::detail {
namespace {

using nlohmann::json;

class config_reader {
 public:
  config_reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  failure error(status_code code, const std::string& what) const {
    return fail(code, fmt::format("{}: {}", path_, what));
  }

  // A positive integer within k_max_dim; `fallback` when the key is absent (or null).
  result<std::int64_t> dim(const char* key, std::optional<std::int64_t> fallback = std::nullopt) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (fallback) return *fallback;
      return error(status_code::not_found, fmt::format("missing key '{}'", key));
    }
    if (!it->is_number_integer()) {
      return error(status_code::invalid_argument, fmt::format("key '{}' must be an integer, got {}", key, it->dump()));
    }
    const std::int64_t v = it->get<std::int64_t>();
    if (v <= 0 || v > k_max_dim) {
      return error(status_code::invalid_argument,
                   fmt::format("key '{}' = {} is out of range (accepted 1..{})", key, v, k_max_dim));
    }
    return v;
  }

  result<double> number(const char* key, double fallback) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    if (!it->is_number()) {
      return error(status_code::invalid_argument, fmt::format("key '{}' must be a number, got {}", key, it->dump()));
    }
    const double v = it->get<double>();
    if (!(v > 0.0) || !std::isfinite(v)) {
      return error(status_code::invalid_argument, fmt::format("key '{}' = {} must be positive and finite", key, v));
    }
    return v;
  }

  result<bool> flag(const char* key, bool fallback) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      return error(status_code::invalid_argument, fmt::format("key '{}' must be true or false, got {}", key, it->dump()));
    }
    return it->get<bool>();
  }

  result<std::string> text(const char* key) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return std::string();
    if (!it->is_string()) {
      return error(status_code::invalid_argument, fmt::format("key '{}' must be a string, got {}", key, it->dump()));
    }
    return it->get<std::string>();
  }

  const json& raw() const { return j_; }

 private:
  const json& j_;
  std::string path_;
};

// model_type, or derived from architectures[0] ("LlamaForCausalLM" -> "llama").
result<std::string> architecture(const config_reader& r) {
  auto model_type = r.text("model_type");
  if (!model_type) return model_type;
  if (!model_type->empty()) return *model_type;
  const auto it = r.raw().find("architectures");
  if (it != r.raw().end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    const std::string a = (*it)[0].get<std::string>();
    if (a == "LlamaForCausalLM") return std::string("llama");
    if (a == "MistralForCausalLM") return std::string("mistral");
    if (a == "Qwen2ForCausalLM") return std::string("qwen2");
    return a;
  }
  return r.error(status_code::not_found, "missing key 'model_type' (and no known 'architectures' entry)");
}

}  // namespace

result<llama_config> read_hf_config(const std::filesystem::path& config_path) {
  const std::string p = config_path.string();
  std::ifstream in(config_path, std::ios::binary);
  if (!in) return fail(status_code::not_found, fmt::format("{}: cannot open (a HF model directory needs config.json)", p));
  std::stringstream ss;
  ss << in.rdbuf();
  const json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(status_code::invalid_argument, fmt::format("{}: not a valid json object", p));
  const config_reader r(j, p);

  llama_config c;
  auto arch = architecture(r);
  if (!arch) return std::unexpected(arch.error());
  if (*arch != "llama" && *arch != "mistral" && *arch != "qwen2") {
    return r.error(status_code::unimplemented,
                   fmt::format("model_type '{}' is not supported (accepted llama, mistral, qwen2)", *arch));
  }
  c.architecture = *arch;
  if (const auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
    return r.error(status_code::unimplemented, fmt::format("key 'rope_scaling' = {} is not implemented (only null)", it->dump()));
  }
  auto act = r.text("hidden_act");
  if (!act) return std::unexpected(act.error());
  if (!act->empty() && *act != "silu") {
    return r.error(status_code::unimplemented, fmt::format("key 'hidden_act' = '{}' is not implemented (only silu)", *act));
  }
  auto mlp_bias = r.flag("mlp_bias", false);
  if (!mlp_bias) return std::unexpected(mlp_bias.error());
  if (*mlp_bias) return r.error(status_code::unimplemented, "key 'mlp_bias' = true is not implemented");

  const status read[] = {
      assign(c.n_embd, r.dim("hidden_size")),
      assign(c.n_ff, r.dim("intermediate_size")),
      assign(c.n_layers, r.dim("num_hidden_layers")),
      assign(c.n_heads, r.dim("num_attention_heads")),
      assign(c.n_kv_heads, r.dim("num_key_value_heads", c.n_heads)),  // after n_heads: braced order
      assign(c.n_vocab, r.dim("vocab_size")),
      assign(c.n_ctx_train, r.dim("max_position_embeddings", 2048)),
      assign(c.rms_norm_eps, r.number("rms_norm_eps", 1e-6)),
      assign(c.rope_theta, r.number("rope_theta", 10000.0)),
      assign(c.tied_embeddings, r.flag("tie_word_embeddings", false)),
      assign(c.qkv_bias, r.flag("attention_bias", c.architecture == "qwen2")),
  };
  for (const status& s : read) {
    if (!s.ok()) return fail(s);
  }
  if (c.n_embd % c.n_heads != 0 && j.find("head_dim") == j.end()) {
    return r.error(status_code::invalid_argument,
                   fmt::format("hidden_size {} is not a multiple of num_attention_heads {} and no head_dim is given",
                               c.n_embd, c.n_heads));
  }
  auto head_dim = r.dim("head_dim", c.n_embd / c.n_heads);
  if (!head_dim) return std::unexpected(head_dim.error());
  c.head_dim = *head_dim;
  if (c.n_heads % c.n_kv_heads != 0) {
    return r.error(status_code::invalid_argument,
                   fmt::format("num_attention_heads {} is not a multiple of num_key_value_heads {}", c.n_heads,
                               c.n_kv_heads));
  }
  if (c.head_dim % 2 != 0) return r.error(status_code::invalid_argument, fmt::format("head_dim {} is odd", c.head_dim));
  if (c.rms_norm_eps >= 1.0) {
    return r.error(status_code::invalid_argument, fmt::format("key 'rms_norm_eps' = {} is not below 1", c.rms_norm_eps));
  }
  // kick's own key (written by save_compressed_model): a checkpoint whose q/k rows are in the
  // interleaved (GGUF/llama2.c) order it came with.
  auto rope = r.text("kick_rope_layout");
  if (!rope) return std::unexpected(rope.error());
  if (rope->empty() || *rope == "rotate_half") {
    c.rope = rope_layout::rotate_half;
  } else if (*rope == "interleaved") {
    c.rope = rope_layout::interleaved;
  } else {
    return r.error(status_code::invalid_argument,
                   fmt::format("key 'kick_rope_layout' = '{}' is not one of rotate_half, interleaved", *rope));
  }
  return c;
}

}  // namespace kick::detail
