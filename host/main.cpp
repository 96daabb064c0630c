// kickhost: evaluate compressed LLMs. Dispatches to one subcommand (host/cli/).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "core/util/did_you_mean.h"

namespace {

constexpr const char* k_usage =
    "usage: kickhost <command> [options]\n"
    "\n"
    "commands:\n"
    "  run MANIFEST       run a run-manifest: model x compression x backend x tasks\n"
    "  compress           compress a model with a method plugin and save it\n"
    "  plugins list|check list plugin manifests, or load and check every plugin library\n"
    "  inspect MODEL      print a model's architecture, tensors and tokenizer\n"
    "  tokenize           print the token ids of a text\n"
    "  generate           greedy generation from a prompt\n"
    "  bench              prefill/decode speed of a backend; `bench kernels`: every format's kernels\n"
    "  devices            the devices each backend can run on\n"
    "  make-model         write a synthetic Llama (7B shapes, random weights) to measure at scale\n"
    "  compress-layer     run one method on one weight matrix with given calibration inputs\n"
    "  bench-methods      compression time of method plugins on Llama-sized layers\n"
    "\n"
    "`kickhost <command> --help` describes a command's options.\n";

struct command {
  std::string_view name;
  int (*run)(const kick::cli::args&);
};

constexpr command k_commands[] = {
    {"run", kick::cli::cmd_run},           {"plugins", kick::cli::cmd_plugins},   {"inspect", kick::cli::cmd_inspect},
    {"tokenize", kick::cli::cmd_tokenize}, {"generate", kick::cli::cmd_generate}, {"bench", kick::cli::cmd_bench},
    {"compress", kick::cli::cmd_compress},
    {"compress-layer", kick::cli::cmd_compress_layer},
    {"bench-methods", kick::cli::cmd_bench_methods},
    {"devices", kick::cli::cmd_devices},
    {"make-model", kick::cli::cmd_make_model},
};

}  // namespace

int main(int argc, char* argv[]) {
  if (argc < 2) {
    std::fputs(k_usage, stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(k_usage, stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("kickhost %s\n", KICK_VERSION);
    return 0;
  }
  // OpenMP worker threads that spin while they wait (libgomp's default "active" policy) stall a
  // run 20x and more when another process holds a core (measured: 0.5 s -> 12.8 s for 60
  // open-book items with 2 threads beside one busy core). Passive waiting costs little when the
  // machine is idle. Set before any plugin (and so libgomp) is loaded; a user's setting wins.
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  const kick::cli::args rest(argv + 2, argv + argc);
  for (const command& c : k_commands) {
    if (c.name == name) return c.run(rest);
  }
  std::vector<std::string> names;
  for (const command& c : k_commands) names.emplace_back(c.name);
  std::fprintf(stderr, "kickhost: unknown command '%.*s'%s", static_cast<int>(name.size()), name.data(),
               kick::did_you_mean(name, names).c_str());
  std::fputs("\n\n", stderr);
  std::fputs(k_usage, stderr);
  return 2;
}
