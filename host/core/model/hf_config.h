// Reading and writing a HuggingFace config.json (a llama_config; internal to the HF loader and writers).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "kick/model.h"
#include "kick/status.h"

namespace kick::detail {

// Parses dir/config.json: llama, mistral and qwen2 model types. rope_scaling, non-SiLU
// activations and MLP biases are rejected as unimplemented, naming the key. The result uses
// rope_layout::rotate_half (HF's convention) unless kick's "kick_rope_layout" key says
// "interleaved" (a model saved by kick from a GGUF/llama2.c source). Errors name config.json and the key.
result<llama_config> read_hf_config(const std::filesystem::path& config_path);

// The config.json that read_hf_config reads back to `c`: HF keys plus "kick_rope_layout", and
// "kick_compression" (parsed, or as a string when it is not JSON) unless `compression_json` is
// empty. `torch_dtype` is HF's name of the weights' type ("float32", "float16", "bfloat16").
nlohmann::json hf_config_json(const llama_config& c, std::string_view compression_json, std::string_view torch_dtype);

}  // namespace kick::detail
