#include "core/model/synthetic_model.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/model/gaussian_fill.h"
#include "core/model/hf_config.h"
#include "core/model/safetensors_writer.h"

namespace kick {
namespace {

namespace fs = std::filesystem;

constexpr float k_weight_stddev = 0.02f;
constexpr std::size_t k_chunk_bytes = 16u << 20;

struct planned_tensor {
  safetensors_tensor_spec spec;
  dtype type;
  bool norm;  // constant 1.0 instead of Gaussian values
  std::uint64_t bytes;
};

const char* safetensors_name(dtype t) { return t == dtype::f32 ? "F32" : t == dtype::f16 ? "F16" : "BF16"; }
const char* torch_name(dtype t) { return t == dtype::f32 ? "float32" : t == dtype::f16 ? "float16" : "bfloat16"; }

std::vector<planned_tensor> plan_tensors(const synthetic_model_options& o) {
  const llama_config& c = o.config;
  const std::uint64_t width = traits(o.weight_type).block_bytes;
  std::vector<planned_tensor> out;
  const auto matrix = [&](std::string name, std::int64_t rows, std::int64_t cols) {
    out.push_back({{std::move(name), safetensors_name(o.weight_type), {rows, cols}}, o.weight_type, false,
                   static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols) * width});
  };
  const auto norm = [&](std::string name) {
    out.push_back({{std::move(name), "F32", {c.n_embd}}, dtype::f32, true, static_cast<std::uint64_t>(c.n_embd) * 4});
  };
  const std::int64_t q_rows = c.n_heads * c.head_dim, kv_rows = c.n_kv_heads * c.head_dim;
  matrix("model.embed_tokens.weight", c.n_vocab, c.n_embd);
  for (std::int64_t i = 0; i < c.n_layers; ++i) {
    const std::string p = fmt::format("model.layers.{}.", i);
    norm(p + "input_layernorm.weight");
    matrix(p + "self_attn.q_proj.weight", q_rows, c.n_embd);
    matrix(p + "self_attn.k_proj.weight", kv_rows, c.n_embd);
    matrix(p + "self_attn.v_proj.weight", kv_rows, c.n_embd);
    matrix(p + "self_attn.o_proj.weight", c.n_embd, q_rows);
    norm(p + "post_attention_layernorm.weight");
    matrix(p + "mlp.gate_proj.weight", c.n_ff, c.n_embd);
    matrix(p + "mlp.up_proj.weight", c.n_ff, c.n_embd);
    matrix(p + "mlp.down_proj.weight", c.n_embd, c.n_ff);
  }
  norm("model.norm.weight");
  if (!c.tied_embeddings) matrix("lm_head.weight", c.n_vocab, c.n_embd);
  return out;
}

status check_options(const synthetic_model_options& o) {
  const llama_config& c = o.config;
  constexpr std::int64_t k_max_dim = 1 << 20;
  const std::pair<const char*, std::int64_t> dims[] = {{"vocab", c.n_vocab},       {"hidden", c.n_embd},
                                                       {"layers", c.n_layers},     {"heads", c.n_heads},
                                                       {"kv_heads", c.n_kv_heads}, {"head_dim", c.head_dim},
                                                       {"ffn", c.n_ff}};
  for (const auto& [key, value] : dims) {
    if (value < 1 || value > k_max_dim)
      return fail(status_code::invalid_argument, fmt::format("{} {} is outside [1, {}]", key, value, k_max_dim));
  }
  if (c.n_heads % c.n_kv_heads != 0)
    return fail(status_code::invalid_argument,
                fmt::format("heads {} is not a multiple of kv_heads {}", c.n_heads, c.n_kv_heads));
  if (o.weight_type != dtype::f32 && o.weight_type != dtype::f16 && o.weight_type != dtype::bf16)
    return fail(status_code::invalid_argument,
                fmt::format("dtype {} is not f32, f16 or bf16", traits(o.weight_type).name));
  if (o.max_shard_bytes < 1024)
    return fail(status_code::invalid_argument, fmt::format("shard size {} bytes is below 1024", o.max_shard_bytes));
  return {};
}

// Produces one tensor's bytes chunk by chunk, each chunk filled by `threads` threads.
class tensor_streamer {
 public:
  tensor_streamer(const synthetic_model_options& o, std::uint64_t total) : o_(o), total_(total), buffer_(k_chunk_bytes) {
    threads_ = o.threads != 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  }

  status stream(const planned_tensor& t, const safetensors_sink& sink) {
    const std::uint64_t key = gaussian_stream_key(o_.seed, t.spec.name);
    const std::size_t width = t.type == dtype::f32 ? 4 : 2;
    for (std::uint64_t offset = 0; offset < t.bytes; offset += k_chunk_bytes) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk_bytes, t.bytes - offset));
      const std::span<std::byte> chunk(buffer_.data(), n);
      if (t.norm) fill_constant(chunk, t.type, 1.0f);
      else fill_parallel(chunk, t.type, key, offset / width, width);
      if (status s = sink(chunk); !s.ok()) return s;
      done_ += n;
      if (o_.progress) o_.progress(done_, total_);
    }
    return {};
  }

 private:
  void fill_parallel(std::span<std::byte> chunk, dtype type, std::uint64_t key, std::uint64_t first, std::size_t width) {
    const std::size_t n = chunk.size() / width;
    const std::size_t per_thread = (n + threads_ - 1) / threads_;
    std::vector<std::jthread> workers;
    for (std::size_t begin = 0; begin < n; begin += per_thread) {
      const std::size_t count = std::min(per_thread, n - begin);
      workers.emplace_back([=] { fill_gaussian(chunk.subspan(begin * width, count * width), type, k_weight_stddev, key, first + begin); });
    }
  }

  const synthetic_model_options& o_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  unsigned threads_ = 1;
  std::vector<std::byte> buffer_;
};

// Groups tensors (in order) into shards of at most max_shard_bytes (a tensor larger than that
// gets a shard of its own).
std::vector<std::vector<const planned_tensor*>> make_shards(const std::vector<planned_tensor>& tensors, std::uint64_t max_bytes) {
  std::vector<std::vector<const planned_tensor*>> shards(1);
  std::uint64_t bytes = 0;
  for (const planned_tensor& t : tensors) {
    if (!shards.back().empty() && bytes + t.bytes > max_bytes) {
      shards.emplace_back();
      bytes = 0;
    }
    shards.back().push_back(&t);
    bytes += t.bytes;
  }
  return shards;
}

status write_model_files(const fs::path& dir, const synthetic_model_options& o) {
  const std::vector<planned_tensor> tensors = plan_tensors(o);
  std::uint64_t total = 0;
  for (const planned_tensor& t : tensors) total += t.bytes;
  tensor_streamer streamer(o, total);
  const auto shards = make_shards(tensors, o.max_shard_bytes);
  nlohmann::json weight_map = nlohmann::json::object();
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::string file_name =
        shards.size() == 1 ? std::string("model.safetensors") : fmt::format("model-{:05}-of-{:05}.safetensors", i + 1, shards.size());
    std::vector<safetensors_tensor_spec> specs;
    std::map<std::string, const planned_tensor*> by_name;
    for (const planned_tensor* t : shards[i]) {
      specs.push_back(t->spec);
      by_name.emplace(t->spec.name, t);
      weight_map[t->spec.name] = file_name;
    }
    status s = write_safetensors_streamed(dir / file_name, specs, metadata,
                                          [&](const safetensors_tensor_spec& spec, const safetensors_sink& sink) {
                                            return streamer.stream(*by_name.at(spec.name), sink);
                                          });
    if (!s.ok()) return s;
  }
  if (shards.size() > 1) {
    const nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    if (status s = write_file_atomically(dir / "model.safetensors.index.json", index.dump(2) + "\n"); !s.ok()) return s;
  }
  nlohmann::json config = detail::hf_config_json(o.config, "", torch_name(o.weight_type));
  config["kick_synthetic"] = {{"seed", o.seed}, {"weight_stddev", k_weight_stddev}, {"norm_value", 1.0}};
  return write_file_atomically(dir / "config.json", config.dump(2) + "\n");
}

// Moves the finished temporary directory to out_dir, replacing out_dir when it exists (it was
// checked to be empty, or force was given).
status move_into_place(const fs::path& tmp, const fs::path& out_dir) {
  std::error_code ec;
  fs::path old;
  if (fs::exists(out_dir, ec)) {
    old = out_dir;
    old += fmt::format(".old.{}", static_cast<long>(::getpid()));
    fs::rename(out_dir, old, ec);
    if (ec) return fail(status_code::unavailable, fmt::format("{}: cannot move the old directory aside: {}", out_dir.string(), ec.message()));
  }
  fs::rename(tmp, out_dir, ec);
  if (ec) {
    std::error_code ignored;
    if (!old.empty()) fs::rename(old, out_dir, ignored);
    return fail(status_code::unavailable, fmt::format("{}: cannot rename {} into place: {}", out_dir.string(), tmp.string(), ec.message()));
  }
  if (!old.empty()) fs::remove_all(old, ec);
  return {};
}

}  // namespace

const std::vector<std::string>& synthetic_preset_names() {
  static const std::vector<std::string> names = {"7b", "13b", "tiny"};
  return names;
}

result<llama_config> synthetic_preset(std::string_view name) {
  llama_config c;
  c.architecture = "llama";
  c.rope = rope_layout::rotate_half;
  c.rope_theta = 10000.0;
  c.rms_norm_eps = 1e-5;
  if (name == "7b") {
    c.n_vocab = 32000, c.n_embd = 4096, c.n_layers = 32, c.n_heads = 32, c.n_kv_heads = 32, c.n_ff = 11008, c.n_ctx_train = 4096;
  } else if (name == "13b") {
    c.n_vocab = 32000, c.n_embd = 5120, c.n_layers = 40, c.n_heads = 40, c.n_kv_heads = 40, c.n_ff = 13824, c.n_ctx_train = 4096;
  } else if (name == "tiny") {
    c.n_vocab = 512, c.n_embd = 64, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.n_ff = 176, c.n_ctx_train = 256;
  } else {
    return fail(status_code::invalid_argument,
                fmt::format("unknown preset '{}' (known: {})", name, fmt::join(synthetic_preset_names(), ", ")));
  }
  c.head_dim = c.n_embd / c.n_heads;
  return c;
}

std::uint64_t synthetic_model_bytes(const synthetic_model_options& options) {
  std::uint64_t total = 0;
  for (const planned_tensor& t : plan_tensors(options)) total += t.bytes;
  return total;
}

status write_synthetic_model(const fs::path& out_dir, const synthetic_model_options& o) {
  if (status s = check_options(o); !s.ok()) return s;
  const std::string out = out_dir.string();
  std::error_code ec;
  if (fs::exists(out_dir, ec)) {
    if (!fs::is_directory(out_dir, ec))
      return fail(status_code::failed_precondition, fmt::format("{}: exists and is not a directory", out));
    if (!fs::is_empty(out_dir, ec) && !o.force)
      return fail(status_code::failed_precondition,
                  fmt::format("{}: the directory is not empty; pass --force to replace it", out));
  }
  const fs::path absolute = fs::absolute(out_dir, ec).lexically_normal();
  const fs::path parent = (absolute.has_filename() ? absolute : absolute.parent_path()).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return fail(status_code::unavailable, fmt::format("{}: cannot create the parent directory: {}", parent.string(), ec.message()));
  const std::uint64_t needed = synthetic_model_bytes(o);
  if (const fs::space_info space = fs::space(parent, ec); !ec && space.available < needed + (64u << 20))
    return fail(status_code::unavailable, fmt::format("{}: the model needs {:.2f} GB, the disk has {:.2f} GB free", out,
                                                      static_cast<double>(needed) / 1e9, static_cast<double>(space.available) / 1e9));
  fs::path tmp = absolute.has_filename() ? absolute : absolute.parent_path();
  tmp += fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec)
    return fail(status_code::unavailable, fmt::format("{}: cannot create the temporary directory{}", tmp.string(),
                                                      ec ? fmt::format(": {}", ec.message()) : std::string()));
  status s = write_model_files(tmp, o);
  if (s.ok()) s = move_into_place(tmp, out_dir);
  if (!s.ok()) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
  }
  return s;
}

}  // namespace kick
