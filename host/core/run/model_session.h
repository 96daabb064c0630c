// Loading what a run needs to talk to a model: the weights, the tokenizer and a backend runner.
// Shared by `kickhost run`, `generate`, `tokenize` and `bench`.
#pragma once

#include <filesystem>
#include <memory>

#include "core/model/model_loader.h"
#include "core/registry/plugin_instance.h"
#include "core/tokenizer/tokenizer.h"

namespace kick {

// The explicit tokenizer when given, else the one that came with the model. Errors explain
// what to pass when the model has none, and refuse a tokenizer whose vocabulary is larger than
// the model's embedding table.
result<std::unique_ptr<tokenizer>> resolve_tokenizer(const loaded_model& model, const std::filesystem::path& explicit_path);

// Tokenizer only, without loading a model where the file itself carries the vocabulary
// (a GGUF, including a vocab-only one). For `kickhost tokenize`.
result<std::unique_ptr<tokenizer>> tokenizer_for(const std::filesystem::path& model_path,
                                                 const std::filesystem::path& explicit_path);

// A backend's runner over a loaded model. Members are destroyed in reverse order: the runner,
// then the backend object and its library.
struct backend_session {
  plugin_instance<kick::backend> backend_instance;
  std::unique_ptr<model_runner> runner;
};

// Creates the backend and loads the model into it with a KV cache of n_ctx positions
// (0: the model's trained context).
result<backend_session> open_backend_session(const plugin_manifest& manifest, const param_map& params,
                                             const loaded_model& model, std::int64_t n_ctx, const host& services);

}  // namespace kick
