// load_model: format detection and dispatch to the per-format loaders.
#include "core/model/model_loader.h"

#include <fmt/format.h>

#include <cstring>

#include "core/model/loader_support.h"

namespace kick {

result<model_format> parse_model_format(std::string_view name) {
  if (name == "auto") return model_format::auto_detect;
  if (name == "hf") return model_format::hf;
  if (name == "gguf") return model_format::gguf;
  if (name == "llama2c") return model_format::llama2c;
  return fail(status_code::invalid_argument,
              fmt::format("unknown model format '{}' (accepted auto, hf, gguf, llama2c)", name));
}

const char* to_string(model_format format) {
  switch (format) {
    case model_format::auto_detect: return "auto";
    case model_format::hf: return "hf";
    case model_format::gguf: return "gguf";
    case model_format::llama2c: return "llama2c";
  }
  return "unknown";
}

result<loaded_model> load_model(const std::filesystem::path& path, model_format format) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return fail(status_code::not_found, fmt::format("{}: model path does not exist", path.string()));
  }
  const bool is_dir = std::filesystem::is_directory(st);
  switch (format) {
    case model_format::hf:
      if (!is_dir) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: a hf model is a directory (config.json + *.safetensors), this is a file", path.string()));
      }
      return detail::load_hf_model(path);
    case model_format::gguf: return detail::load_gguf_model(path);
    case model_format::llama2c: return detail::load_llama2c_model(path);
    case model_format::auto_detect: break;
  }
  if (is_dir) return detail::load_hf_model(path);
  auto file = mapped_file::open(path);
  if (!file) return std::unexpected(file.error());
  const auto bytes = (*file)->bytes();
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0) return detail::load_gguf_model(path);
  const status llama2c = detail::check_llama2c_file(bytes);
  if (llama2c.ok()) return detail::load_llama2c_model(path);
  if (llama2c.code() == status_code::unimplemented) return fail(llama2c.with_context(path.string()));
  return fail(status_code::invalid_argument,
              fmt::format("{}: unrecognised model format (not a hf directory, no gguf magic, and as a llama2.c "
                          "checkpoint: {})",
                          path.string(), llama2c.message()));
}

}  // namespace kick
