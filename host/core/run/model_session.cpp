#include "core/run/model_session.h"

#include <fmt/format.h>

namespace kick {

result<std::unique_ptr<tokenizer>> resolve_tokenizer(const loaded_model& model, const std::filesystem::path& explicit_path) {
  std::filesystem::path path = explicit_path;
  if (path.empty()) path = model.tokenizer_path;
  if (path.empty()) {
    std::string hint;
    std::error_code ec;
    if (std::filesystem::is_directory(model.path, ec) && std::filesystem::exists(model.path / "tokenizer.json", ec)) {
      hint = " (it has only tokenizer.json, a HuggingFace fast tokenizer, which kick does not read)";
    }
    return fail(status_code::not_found,
                fmt::format("{}: no tokenizer found with the model{}; pass --tokenizer PATH (a SentencePiece .model, "
                            "a llama2.c tokenizer.bin or a GGUF)",
                            model.path.string(), hint));
  }
  auto tok = load_tokenizer(path);
  if (!tok) return std::unexpected(tok.error());
  const std::int64_t n_vocab = model.view.config.n_vocab;
  if ((*tok)->vocab_size() > n_vocab) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: tokenizer has {} tokens but model {} has an embedding table of {} rows", path.string(),
                            (*tok)->vocab_size(), model.path.string(), n_vocab));
  }
  return tok;
}

result<std::unique_ptr<tokenizer>> tokenizer_for(const std::filesystem::path& model_path,
                                                 const std::filesystem::path& explicit_path) {
  if (!explicit_path.empty()) return load_tokenizer(explicit_path);
  std::error_code ec;
  if (std::filesystem::is_regular_file(model_path, ec) && model_path.extension() == ".gguf") return load_tokenizer(model_path);
  auto model = load_model(model_path);
  if (!model) return std::unexpected(model.error());
  return resolve_tokenizer(*model, {});
}

result<backend_session> open_backend_session(const plugin_manifest& manifest, const param_map& params,
                                             const loaded_model& model, std::int64_t n_ctx, const host& services) {
  backend_session session;
  auto b = create_backend(manifest, services, params);
  if (!b) return std::unexpected(b.error());
  session.backend_instance = std::move(*b);
  runner_options options;
  options.n_ctx = n_ctx > 0 ? n_ctx : model.view.config.n_ctx_train;
  auto runner = session.backend_instance->load(model.view, options);
  if (!runner) return std::unexpected(runner.error().with_context(fmt::format("backend {}", manifest.name)));
  session.runner = std::move(*runner);
  return session;
}

}  // namespace kick
