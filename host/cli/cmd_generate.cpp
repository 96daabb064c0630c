// kickhost generate --model M --prompt TEXT --max-tokens N [--stop S]... [--backend NAME] [--set key=value]...
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/run/console_host.h"
#include "core/run/lm_service.h"
#include "core/run/model_session.h"

namespace kick::cli {

int cmd_generate(const args& a) {
  const std::string usage =
      "usage: kickhost generate --model MODEL --prompt TEXT [--max-tokens N] [--stop TEXT]... [--tokenizer PATH]\n"
      "                         [--backend NAME] [--set PARAM=VALUE]... [--plugin-dir DIR]...\n"
      "Prints the greedy continuation of TEXT (the prompt gets BOS; an empty prompt starts from BOS alone).";
  po::options_description options("options");
  std::string model_path, tokenizer_path, prompt, backend_name = "cpu", format_name = "auto";
  std::int64_t max_tokens = 128;
  std::int64_t context = 0;
  std::vector<std::string> stops, sets, plugin_dirs;
  options.add_options()("model", po::value(&model_path)->required(), "model file or HuggingFace directory")(
      "tokenizer", po::value(&tokenizer_path), "tokenizer to use instead of the model's own")(
      "format", po::value(&format_name), "model format (default: detected)")(
      "prompt", po::value(&prompt)->required(), "prompt text")(
      "max-tokens", po::value(&max_tokens), "most tokens to generate (default 128)")(
      "stop", po::value(&stops)->composing(), "stop before this text (repeatable)")(
      "context", po::value(&context), "KV cache positions (default: the model's context)")(
      "backend", po::value(&backend_name), "backend plugin (default cpu)")(
      "set", po::value(&sets)->composing(), "backend parameter: name=value (repeatable)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  if (max_tokens < 0) return report_error("generate", status(status_code::out_of_range, "--max-tokens must be >= 0"));

  // Validate the backend and its parameters before loading anything heavy.
  auto backend = resolve_cli_backend(plugin_dirs, backend_name, sets);
  if (!backend) return report_error("generate", backend.error());
  auto format = parse_model_format(format_name);
  if (!format) return report_error("generate", format.error().with_context("--format"));

  console_host services;
  auto model = load_model(model_path, *format);
  if (!model) return report_error("generate", model.error());
  auto tok = resolve_tokenizer(*model, tokenizer_path);
  if (!tok) return report_error("generate", tok.error());
  auto session = open_backend_session(*backend->manifest, backend->params, *model, context, services);
  if (!session) return report_error("generate", session.error());
  lm_service service(*session->runner, **tok, model->view.config.n_vocab);
  generate_options go;
  go.max_tokens = max_tokens;
  go.stop = stops;
  auto text = service.generate_until(prompt, go);
  if (!text) return report_error("generate", text.error());
  fmt::print("{}\n", *text);
  return k_exit_ok;
}

}  // namespace kick::cli
