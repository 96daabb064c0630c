// kickhost tokenize --model M --text T [--bos] [--tokenizer PATH]
#include <fmt/format.h>

#include "cli/cli_support.h"
#include "core/run/model_session.h"

namespace kick::cli {

int cmd_tokenize(const args& a) {
  const std::string usage =
      "usage: kickhost tokenize --model MODEL --text TEXT [--bos] [--tokenizer PATH]\n"
      "Prints the token ids of TEXT, space-separated on one line (BOS only with --bos).\n"
      "MODEL may be a vocab-only GGUF.";
  po::options_description options("options");
  std::string model_path, tokenizer_path, text;
  bool bos = false;
  options.add_options()("model", po::value(&model_path), "model (or vocab-only GGUF) whose tokenizer to use")(
      "tokenizer", po::value(&tokenizer_path), "tokenizer file, instead of or overriding the model's")(
      "text", po::value(&text)->required(), "text to tokenize")("bos", po::bool_switch(&bos), "prepend the BOS token");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  if (model_path.empty() && tokenizer_path.empty()) {
    fmt::print(stderr, "kickhost tokenize: error: give --model or --tokenizer\n");
    return k_exit_usage;
  }
  auto tok = tokenizer_for(model_path, tokenizer_path);
  if (!tok) return report_error("tokenize", tok.error());
  auto ids = (*tok)->encode(text, bos);
  if (!ids) return report_error("tokenize", ids.error());
  fmt::print("{}\n", fmt::join(*ids, " "));
  return k_exit_ok;
}

}  // namespace kick::cli
