// config.json of a Llama-family model saved by kick (the writing half of hf_config.h).
#include "core/model/hf_config.h"

#include <string>

namespace kick::detail {
namespace {

const char* hf_class_name(const std::string& architecture) {
  if (architecture == "mistral") return "MistralForCausalLM";
  if (architecture == "qwen2") return "Qwen2ForCausalLM";
  return "LlamaForCausalLM";
}

}  // namespace

nlohmann::json hf_config_json(const llama_config& c, std::string_view compression_json, std::string_view torch_dtype) {
  using nlohmann::json;
  json j = {{"architectures", {hf_class_name(c.architecture)}},
            {"model_type", c.architecture},
            {"hidden_size", c.n_embd},
            {"intermediate_size", c.n_ff},
            {"num_hidden_layers", c.n_layers},
            {"num_attention_heads", c.n_heads},
            {"num_key_value_heads", c.n_kv_heads},
            {"head_dim", c.head_dim},
            {"rope_theta", c.rope_theta},
            {"rms_norm_eps", c.rms_norm_eps},
            {"vocab_size", c.n_vocab},
            {"tie_word_embeddings", c.tied_embeddings},
            {"attention_bias", c.qkv_bias},
            {"hidden_act", "silu"},
            {"rope_scaling", nullptr},
            {"torch_dtype", std::string(torch_dtype)},
            {"kick_rope_layout", c.rope == rope_layout::interleaved ? "interleaved" : "rotate_half"}};
  if (c.n_ctx_train > 0) j["max_position_embeddings"] = c.n_ctx_train;
  if (!compression_json.empty()) {
    json compression = json::parse(compression_json, nullptr, false);
    j["kick_compression"] = compression.is_discarded() ? json(std::string(compression_json)) : compression;
  }
  return j;
}

}  // namespace kick::detail
