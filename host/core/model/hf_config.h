// Reading a HuggingFace config.json into a llama_config (internal to the HF loader).
#pragma once

#include <filesystem>

#include "kick/model.h"
#include "kick/status.h"

namespace kick::detail {

// Parses dir/config.json: llama, mistral and qwen2 model types. rope_scaling, non-SiLU
// activations and MLP biases are rejected as unimplemented, naming the key. The result uses
// rope_layout::rotate_half (HF's convention) unless kick's "kick_rope_layout" key says
// "interleaved" (a model saved by kick from a GGUF/llama2.c source). Errors name config.json and the key.
result<llama_config> read_hf_config(const std::filesystem::path& config_path);

}  // namespace kick::detail
