// kickhost bench: prefill and decode throughput of the cpu backend on a real model (stories260K
// by default) and on a synthetic random Llama with 7B layer shapes.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "cli/cli_support.h"
#include "core/model/model_loader.h"
#include "core/registry/plugin_instance.h"
#include "core/run/model_session.h"
#include "core/run/console_host.h"
#include "core/util/peak_rss.h"
#include "kick/backend.h"
#include "kick/format_codec.h"

namespace kick::cli {
namespace {

namespace fs = std::filesystem;

struct bench_options {
  std::int64_t runs = 5;
  std::int64_t prefill_tokens = 128;
  std::int64_t decode_tokens = 32;
};

struct bench_row {
  std::string name;
  std::string dtype_name;
  std::int64_t n_params = 0;
  std::int64_t decode_bytes = 0;  // weight bytes one decoded token reads
  std::int64_t prefill_tokens = 0;
  std::int64_t decode_tokens = 0;
  double prefill_tps = 0;  // medians over runs
  double decode_tps = 0;
  double load_seconds = 0;        // reading the model (when from a file) plus the backend's load
  std::int64_t peak_rss_bytes = 0;  // the process's peak RSS after this row (getrusage)
};

std::int64_t bytes_of(const tensor_view& t) { return t.empty() ? 0 : t.n_rows() * row_size_bytes(t.type, t.n_cols()); }

// Every weight a decoded token reads: all layers' matrices and vectors, the output projection.
// A compressed linear layer counts its stored bytes (storage bits per weight).
std::int64_t decode_bytes(const model_view& v) {
  std::int64_t bytes = bytes_of(v.output) + bytes_of(v.output_norm);
  for (const layer_tensors& l : v.layers) {
    for (const tensor_view* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.ffn_norm, &l.w_gate,
                                 &l.w_up, &l.w_down}) {
      bytes += bytes_of(*t);
    }
    for (const compressed_weight* w : l.compressed) {
      if (w != nullptr) bytes += static_cast<std::int64_t>(storage_bits_per_weight(*w) * static_cast<double>(w->n_rows * w->n_cols) / 8.0);
    }
  }
  return bytes;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The prompt: real text through the model's tokenizer when there is one (repeated to length),
// else uniformly random token ids.
std::vector<std::int32_t> bench_prompt(const tokenizer* tok, std::int64_t n_vocab, std::int64_t n_tokens) {
  std::vector<std::int32_t> prompt;
  if (tok != nullptr) {
    const auto text = tok->encode(
        "Once upon a time, in a small town by the sea, a girl named Mia found an old map in her grandmother's attic. "
        "The map showed a path through the forest to a hill where, the legend said, the first lighthouse once stood.",
        true);
    if (text && text->size() > 1) {
      while (static_cast<std::int64_t>(prompt.size()) < n_tokens) prompt.insert(prompt.end(), text->begin(), text->end());
      prompt.resize(static_cast<std::size_t>(n_tokens));
      return prompt;
    }
  }
  std::mt19937 rng(1234);
  std::uniform_int_distribution<std::int32_t> token(0, static_cast<std::int32_t>(n_vocab - 1));
  prompt.resize(static_cast<std::size_t>(n_tokens));
  for (auto& t : prompt) t = token(rng);
  return prompt;
}

// Runs one warm-up and `runs` measured rounds of: prefill random tokens, then greedy decode.
// `model_load_seconds`: how long reading the model took (0 for a generated one).
result<bench_row> bench_model(backend& b, const std::string& name, const model_view& view, std::int64_t n_params,
                              const bench_options& o, const tokenizer* tok, double model_load_seconds) {
  const llama_config& c = view.config;
  bench_row row;
  row.name = name;
  row.dtype_name = traits(view.layers.empty() ? view.output.type : view.layers[0].wq.type).name;
  if (!view.layers.empty() && view.layers[0].compressed_linear(linear_slot::q) != nullptr) row.dtype_name = "cmpr";
  row.n_params = n_params;
  row.decode_bytes = decode_bytes(view);
  std::int64_t n_ctx = o.prefill_tokens + o.decode_tokens;
  if (c.n_ctx_train > 0 && n_ctx > c.n_ctx_train) n_ctx = c.n_ctx_train;
  row.prefill_tokens = std::min(o.prefill_tokens, n_ctx - 1);
  row.decode_tokens = n_ctx - row.prefill_tokens;
  runner_options ro;
  ro.n_ctx = n_ctx;
  const auto load_start = std::chrono::steady_clock::now();
  auto runner = b.load(view, ro);
  if (!runner) return fail(runner.error().with_context(name));
  row.load_seconds = model_load_seconds + seconds_since(load_start);

  std::vector<std::int32_t> prompt = bench_prompt(tok, c.n_vocab, row.prefill_tokens);
  std::vector<float> logits(static_cast<std::size_t>(c.n_vocab));
  std::vector<double> prefill_tps, decode_tps;
  for (std::int64_t run = 0; run <= o.runs; ++run) {
    fmt::print(stderr, "bench: {}: {} {}/{}\n", name, run == 0 ? "warm-up" : "run", run, o.runs);
    auto start = std::chrono::steady_clock::now();
    if (status s = (*runner)->eval(prompt, 0, logits_mode::last, logits); !s.ok()) return fail(s.with_context(name));
    const double prefill_s = seconds_since(start);
    start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < row.decode_tokens; ++i) {
      const auto next = static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      const std::int32_t one[1] = {next};
      if (status s = (*runner)->eval(one, row.prefill_tokens + i, logits_mode::last, logits); !s.ok()) {
        return fail(s.with_context(name));
      }
    }
    const double decode_s = seconds_since(start);
    if (run == 0) continue;
    prefill_tps.push_back(static_cast<double>(row.prefill_tokens) / prefill_s);
    decode_tps.push_back(static_cast<double>(row.decode_tokens) / decode_s);
  }
  row.prefill_tps = median(prefill_tps);
  row.decode_tps = median(decode_tps);
  row.peak_rss_bytes = peak_rss_bytes();
  return row;
}

std::string cpu_flags() {
  std::string flags;
  __builtin_cpu_init();
  const auto add = [&](const char* name, bool present) {
    if (!present) return;
    if (!flags.empty()) flags += ' ';
    flags += name;
  };
  add("sse4.2", __builtin_cpu_supports("sse4.2"));
  add("avx", __builtin_cpu_supports("avx"));
  add("avx2", __builtin_cpu_supports("avx2"));
  add("fma", __builtin_cpu_supports("fma"));
  add("f16c", __builtin_cpu_supports("f16c"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  add("avx512vnni", __builtin_cpu_supports("avx512vnni"));
  add("avx512bf16", __builtin_cpu_supports("avx512bf16"));
  return flags.empty() ? "none" : flags;
}

void print_table(const std::string& device, const std::vector<bench_row>& rows, const bench_options& o) {
  fmt::print("machine: {} (cpu flags: {}; {} hardware threads)\n", device, cpu_flags(), std::thread::hardware_concurrency());
  fmt::print("medians of {} runs after one warm-up; decode GB/s = weight bytes read per token / seconds per token\n\n",
             o.runs);
  fmt::print("{:<34} {:>5} {:>9} {:>11} {:>8} {:>8} {:>13} {:>7} {:>12} {:>11} {:>13}\n", "model", "dtype", "params M",
             "weights MiB", "load s", "prefill", "prefill tok/s", "decode", "decode tok/s", "decode GB/s", "peak RSS MiB");
  for (const bench_row& r : rows) {
    const double gbps = static_cast<double>(r.decode_bytes) * r.decode_tps / 1e9;
    fmt::print("{:<34} {:>5} {:>9.2f} {:>11.1f} {:>8.2f} {:>8} {:>13.1f} {:>7} {:>12.2f} {:>11.2f} {:>13.1f}\n", r.name,
               r.dtype_name, static_cast<double>(r.n_params) / 1e6, static_cast<double>(r.decode_bytes) / (1 << 20),
               r.load_seconds, r.prefill_tokens, r.prefill_tps, r.decode_tokens, r.decode_tps, gbps,
               static_cast<double>(r.peak_rss_bytes) / (1 << 20));
  }
  fmt::print("\npeak RSS (whole process, getrusage): {:.1f} MiB of {:.1f} MiB physical memory\n",
             static_cast<double>(peak_rss_bytes()) / (1 << 20), static_cast<double>(total_ram_bytes()) / (1 << 20));
}

}  // namespace

int cmd_bench(const args& a) {
  if (!a.empty() && a.front() == "kernels") return cmd_bench_kernels(args(a.begin() + 1, a.end()));
  const std::string usage =
      "usage: kickhost bench kernels ... (per-format kernel timing; kickhost bench kernels --help)\n"
      "       kickhost bench [--model PATH|none] [--tokenizer PATH] [--synthetic-layers N] [--dtype f32|f16|bf16|q8_0]\n"
      "                      [--backend NAME] [--set PARAM=VALUE]... [--threads N] [--runs N]\n"
      "                      [--prefill-tokens N] [--decode-tokens N] [--plugin-dir DIR]...\n"
      "Measures a backend's prefill and decode speed on a model (default: ../shared/fixtures/stories260K/\n"
      "stories260K.bin, relative to the working directory, when present; 'none' skips it) and on a random\n"
      "Llama of 7B layer shapes. Prints a table of medians on stdout, progress on stderr.";
  po::options_description options("options");
  std::string model_path, tokenizer_path, dtype_name = "f16", backend_name = "cpu";
  std::vector<std::string> plugin_dirs, sets;
  bench_options o;
  std::int64_t synthetic_layers = 2, threads = -1;
  options.add_options()("model", po::value(&model_path), "model to measure (default: stories260K when present; 'none' measures only the synthetic model)")(
      "synthetic-layers", po::value(&synthetic_layers), "layers of the synthetic 7B-shaped model; 0 skips it (default 2)")(
      "dtype", po::value(&dtype_name), "weight type of the synthetic model: f32, f16, bf16 or q8_0 (default f16)")(
      "tokenizer", po::value(&tokenizer_path), "tokenizer for the model's prompt (default: the model's own; random ids without one)")(
      "backend", po::value(&backend_name), "backend plugin (default cpu)")(
      "set", po::value(&sets)->composing(), "backend parameter: name=value (repeatable)")(
      "threads", po::value(&threads), "shorthand for --set threads=N (0 = all cores)")(
      "runs", po::value(&o.runs), "measured runs; medians are reported (default 5)")(
      "prefill-tokens", po::value(&o.prefill_tokens), "prompt tokens per prefill (default 128)")(
      "decode-tokens", po::value(&o.decode_tokens), "tokens decoded one by one (default 32)")(
      "plugin-dir", po::value(&plugin_dirs)->composing(), "extra plugin directory (repeatable)");
  po::variables_map vm;
  int exit_code = 0;
  if (!parse_command_line(a, usage, options, {}, vm, exit_code)) return exit_code;
  const auto bad = [](std::string message) { return report_error("bench", status(status_code::out_of_range, std::move(message))); };
  if (o.runs < 1 || o.runs > 1000) return bad(fmt::format("--runs {} is outside [1, 1000]", o.runs));
  if (o.prefill_tokens < 1 || o.prefill_tokens > 65536) return bad(fmt::format("--prefill-tokens {} is outside [1, 65536]", o.prefill_tokens));
  if (o.decode_tokens < 1 || o.decode_tokens > 65536) return bad(fmt::format("--decode-tokens {} is outside [1, 65536]", o.decode_tokens));
  if (synthetic_layers < 0 || synthetic_layers > 128) return bad(fmt::format("--synthetic-layers {} is outside [0, 128]", synthetic_layers));
  if (vm.count("threads") != 0) sets.push_back(fmt::format("threads={}", threads));
  dtype synthetic_type = dtype::f16;
  if (dtype_name == "f32") synthetic_type = dtype::f32;
  else if (dtype_name == "bf16") synthetic_type = dtype::bf16;
  else if (dtype_name == "q8_0") synthetic_type = dtype::q8_0;
  else if (dtype_name != "f16") return bad(fmt::format("--dtype '{}' is not f32, f16, bf16 or q8_0", dtype_name));
  if (model_path == "none") {
    model_path.clear();
  } else if (model_path.empty()) {
    const fs::path fallback = "../shared/fixtures/stories260K/stories260K.bin";
    if (fs::exists(fallback)) model_path = fallback.string();
    else fmt::print(stderr, "bench: {} is absent; measuring the synthetic model only\n", fallback.string());
  }

  if (model_path.empty() && synthetic_layers == 0) {
    return report_error("bench", status(status_code::invalid_argument, "nothing to measure: no --model and --synthetic-layers 0"));
  }

  auto chosen = resolve_cli_backend(plugin_dirs, backend_name, sets);
  if (!chosen) return report_error("bench", chosen.error());
  console_host services(log_level::warn);
  auto b = create_backend(*chosen->manifest, services, chosen->params);
  if (!b) return report_error("bench", b.error());
  const std::string device = (*b)->describe();
  fmt::print(stderr, "bench: backend {}\n", device);

  std::vector<bench_row> rows;
  if (!model_path.empty()) {
    fmt::print(stderr, "bench: loading {}\n", model_path);
    const auto load_start = std::chrono::steady_clock::now();
    auto model = load_model(model_path);
    const double model_load_seconds = seconds_since(load_start);
    if (!model) return report_error("bench", model.error());
    std::unique_ptr<tokenizer> tok;
    if (!tokenizer_path.empty() || !model->tokenizer_path.empty()) {
      auto loaded = resolve_tokenizer(*model, tokenizer_path);
      if (!loaded) return report_error("bench", loaded.error());
      tok = std::move(*loaded);
    }
    auto row = bench_model(**b, fs::path(model_path).filename().string(), model->view, model->n_params, o, tok.get(),
                           model_load_seconds);
    if (!row) return report_error("bench", row.error());
    rows.push_back(*row);
  }
  if (synthetic_layers > 0) {
    llama_config c;  // Llama-2-7B shapes, fewer layers
    c.n_vocab = 32000, c.n_embd = 4096, c.n_layers = synthetic_layers, c.n_heads = 32, c.n_kv_heads = 32;
    c.head_dim = 128, c.n_ff = 11008, c.n_ctx_train = 4096, c.rope = rope_layout::rotate_half;
    fmt::print(stderr, "bench: generating a random {}-layer 7B-shaped model ({})\n", synthetic_layers, dtype_name);
    const loaded_model model = make_random_model(c, 42, synthetic_type);
    const std::string name = fmt::format("synthetic 7B shapes, {} layer{}", synthetic_layers, synthetic_layers == 1 ? "" : "s");
    auto row = bench_model(**b, name, model.view, model.n_params, o, nullptr, 0.0);
    if (!row) return report_error("bench", row.error());
    rows.push_back(*row);
  }
  print_table(device, rows, o);
  return k_exit_ok;
}

}  // namespace kick::cli
