// kickhost inspect MODEL [--tokenizer PATH] [--format auto|hf|gguf|llama2c]
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/model/model_loader.h"
#include "core/run/model_session.h"

namespace kick::cli {

int cmd_inspect(const args& a) {
  const std::string usage =
      "usage: kickhost inspect MODEL [--tokenizer PATH] [--format auto|hf|gguf|llama2c]\n"
      "Prints the architecture, tensor shapes and dtypes, parameter count and tokenizer of a model.";
  po::options_description options("options");
  std::string model_path, tokenizer_path, format_name = "auto";
  options.add_options()("model", po::value(&model_path)->required(), "model file or HuggingFace directory")(
      "tokenizer", po::value(&tokenizer_path), "tokenizer to use instead of the model's own")(
      "format", po::value(&format_name), "model format (default: detected)");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, positional, vm, exit_code)) return exit_code;
  auto format = parse_model_format(format_name);
  if (!format) return report_error("inspect", format.error().with_context("--format"));
  auto model = load_model(model_path, *format);
  if (!model) return report_error("inspect", model.error());
  fmt::print("{}", describe_model(*model));
  auto tok = resolve_tokenizer(*model, tokenizer_path);
  if (!tok) {
    fmt::print("tokenizer: none ({})\n", tok.error().message());
    return tokenizer_path.empty() ? k_exit_ok : report_error("inspect", tok.error());
  }
  fmt::print("tokenizer: {} ({} tokens, bos {}, eos {})\n", (*tok)->kind(), (*tok)->vocab_size(), (*tok)->bos(), (*tok)->eos());
  return k_exit_ok;
}

}  // namespace kick::cli
