// kickhost make-model: a synthetic Llama (random weights, real shapes) as a HuggingFace
// directory, streamed to disk (core/model/synthetic_model.h), for measuring load time, memory and
// speed at 7B scale with `kickhost bench --model DIR`.
#include <fmt/format.h>

#include <chrono>

#include "cli/cli_support.h"
#include "core/model/synthetic_model.h"

namespace kick::cli {
namespace {

// Progress on stderr: at most one line every two seconds, and the last one.
class progress_printer {
 public:
  void operator()(std::uint64_t done, std::uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    fmt::print(stderr, "make-model: {:.2f} / {:.2f} GB ({:.0f}%), {:.0f} MB/s\n", static_cast<double>(done) / 1e9,
               static_cast<double>(total) / 1e9, 100.0 * static_cast<double>(done) / static_cast<double>(total),
               seconds > 0 ? static_cast<double>(done) / 1e6 / seconds : 0.0);
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace

int cmd_make_model(const args& a) {
  const std::string usage =
      "usage: kickhost make-model --out DIR [--preset 7b|13b|tiny] [--layers N] [--dtype f16|bf16|f32] [--seed S]\n"
      "                           [--shard-gb G] [--threads N] [--force]\n"
      "Writes a synthetic Llama with random weights (N(0, 0.02^2) matrices, norms 1.0) and the preset's shapes\n"
      "as a HuggingFace directory (config.json, model.safetensors or shards with an index), streaming it to\n"
      "disk. Same seed, same bytes. There is no tokenizer: measure it with `kickhost bench --model DIR`.";
  po::options_description options("options");
  std::string out, preset = "7b", dtype_name = "f16";
  std::int64_t layers = 0, threads = 0;
  std::uint64_t seed = 0;
  double shard_gb = 5.0;
  options.add_options()("out", po::value(&out), "output directory (created; must be absent or empty without --force)")(
      "preset", po::value(&preset), "shapes: 7b (Llama-2-7B, default), 13b (Llama-2-13B) or tiny (for tests)")(
      "layers", po::value(&layers), "decoder layers instead of the preset's (1..1024)")(
      "dtype", po::value(&dtype_name), "type of the weight matrices: f16 (default), bf16 or f32")(
      "seed", po::value(&seed), "random seed (default 0)")(
      "shard-gb", po::value(&shard_gb), "largest shard in GB (1e9 bytes; default 5); one model.safetensors when it fits")(
      "threads", po::value(&threads), "generator threads (0 = all hardware threads, the default)")(
      "force", "replace DIR when it is not empty");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  const auto bad = [](std::string message) {
    return report_error("make-model", status(status_code::invalid_argument, std::move(message)));
  };
  if (out.empty()) return bad("--out DIR is required");
  auto config = synthetic_preset(preset);
  if (!config) return report_error("make-model", config.error());
  synthetic_model_options o;
  o.config = *config;
  if (vm.count("layers") != 0) {
    if (layers < 1 || layers > 1024) return bad(fmt::format("--layers {} is outside [1, 1024]", layers));
    o.config.n_layers = layers;
  }
  if (dtype_name == "f16") o.weight_type = dtype::f16;
  else if (dtype_name == "bf16") o.weight_type = dtype::bf16;
  else if (dtype_name == "f32") o.weight_type = dtype::f32;
  else return bad(fmt::format("--dtype '{}' is not f16, bf16 or f32", dtype_name));
  if (!(shard_gb >= 1e-6 && shard_gb <= 1000.0)) return bad(fmt::format("--shard-gb {} is outside [1e-6, 1000]", shard_gb));
  if (threads < 0 || threads > 1024) return bad(fmt::format("--threads {} is outside [0, 1024]", threads));
  o.seed = seed;
  o.max_shard_bytes = static_cast<std::uint64_t>(shard_gb * 1e9);
  o.threads = static_cast<unsigned>(threads);
  o.force = vm.count("force") != 0;
  o.progress = progress_printer();
  const std::uint64_t bytes = synthetic_model_bytes(o);
  fmt::print(stderr, "make-model: {} preset, {} layers, {}, seed {}: {:.2f} GB of weights into {}\n", preset,
             o.config.n_layers, dtype_name, seed, static_cast<double>(bytes) / 1e9, out);
  if (status s = write_synthetic_model(out, o); !s.ok()) return report_error("make-model", s);
  fmt::print("{}\n", out);
  return k_exit_ok;
}

}  // namespace kick::cli
