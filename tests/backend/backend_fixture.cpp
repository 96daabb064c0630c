#include "backend/backend_fixture.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/registry/plugin_library.h"
#include "kick/plugin.h"
#include "support/test_support.h"

namespace kick::test {

void test_host::log(log_level, std::string_view message) const { messages.emplace_back(message); }
void test_host::progress(std::string_view, std::int64_t, std::int64_t) const {}

namespace {

const plugin_library& cpu_plugin() {
  static const plugin_library library = [] {
    auto opened = open_plugin_library(plugin_dir() / "libkick-backend-cpu.so");
    if (!opened) FAIL("cannot open the cpu backend plugin: " << opened.error().message());
    return std::move(*opened);
  }();
  return library;
}

}  // namespace

result<std::unique_ptr<backend>> open_vulkan_backend(const host& services, const std::string& device, std::int64_t max_binding_mib,
                                                     const std::string& compressed_values) {
  static const auto library = [] {
    return open_plugin_library(plugin_dir() / "libkick-backend-vulkan.so");
  }();
  if (!library) return fail(status_code::unavailable, "the vulkan backend plugin is not built: " + library.error().message());
  param_map params;
  params.set("device", device);
  params.set("validation", false);
  params.set("max_binding_mib", max_binding_mib);
  params.set("compressed_values", compressed_values);
  auto made = library->info->create_backend(services, params);
  if (!made) return made;
  // A backend whose device cannot open (no driver) is reported on first load; probe now.
  auto devices = (*made)->devices();
  if (!devices) return fail(devices.error());
  return made;
}

result<std::unique_ptr<backend>> open_cpu_backend(const host& services, std::int64_t threads, std::string_view kernels,
                                                  std::string_view compressed_values, std::string_view activations) {
  const plugin_library& library = cpu_plugin();
  REQUIRE(std::string(library.info->kind) == "backend");
  REQUIRE(library.info->create_backend != nullptr);
  param_map params;
  params.set("threads", threads);
  params.set("kernels", kernels.empty() ? std::string("auto") : std::string(kernels));
  params.set("compressed_values", std::string(compressed_values));
  params.set("activations", std::string(activations));
  return library.info->create_backend(services, params);
}

std::vector<std::string> usable_kernel_sets(const host& services) {
  std::vector<std::string> usable;
  for (const char* name : {"avx512f", "avx2", "generic"}) {
    if (open_cpu_backend(services, 0, name)) usable.emplace_back(name);
  }
  return usable;
}

std::unique_ptr<model_runner> load_runner(backend& b, const model_view& model, std::int64_t n_ctx) {
  runner_options options;
  options.n_ctx = n_ctx;
  auto runner = b.load(model, options);
  if (!runner) FAIL("load failed: " << runner.error().message());
  return std::move(*runner);
}

std::vector<float> eval_all(model_runner& runner, std::int64_t n_vocab, std::span<const std::int32_t> tokens,
                            std::int64_t n_past) {
  // Filled with NaN so that a position the runner forgot to write cannot pass a comparison.
  std::vector<float> logits(tokens.size() * static_cast<std::size_t>(n_vocab), NAN);
  const status s = runner.eval(tokens, n_past, logits_mode::all, logits);
  if (!s.ok()) FAIL("eval failed: " << s.message());
  return logits;
}

double relative_error(std::span<const float> got, std::span<const double> want) {
  REQUIRE(got.size() == want.size());
  double scale = 1.0, max_diff = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    scale = std::max(scale, std::fabs(want[i]));
    const double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
    max_diff = std::isnan(diff) ? INFINITY : std::max(max_diff, diff);
  }
  return max_diff / scale;
}

double relative_error(std::span<const float> got, std::span<const float> want) {
  const std::vector<double> wide(want.begin(), want.end());
  return relative_error(got, wide);
}

std::vector<std::int32_t> random_tokens(std::int64_t n_vocab, std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int32_t> dist(0, static_cast<std::int32_t>(n_vocab - 1));
  std::vector<std::int32_t> tokens(static_cast<std::size_t>(n));
  for (auto& t : tokens) t = dist(rng);
  return tokens;
}

std::vector<named_config> tiny_configs() {
  std::vector<named_config> configs;
  {
    llama_config c;  // grouped-query, head_dim 16, HF layout, untied
    c.n_vocab = 50, c.n_embd = 64, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.head_dim = 16, c.n_ff = 96;
    c.n_ctx_train = 64, c.rope = rope_layout::rotate_half, c.tied_embeddings = false, c.qkv_bias = false;
    configs.push_back({"gqa hd16 rotate_half untied", c});
  }
  {
    llama_config c;  // multi-head, head_dim 8, GGUF layout, tied, biases
    c.n_vocab = 41, c.n_embd = 32, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 4, c.head_dim = 8, c.n_ff = 64;
    c.n_ctx_train = 64, c.rope = rope_layout::interleaved, c.tied_embeddings = true, c.qkv_bias = true;
    c.rope_theta = 500000.0, c.rms_norm_eps = 1e-6;
    configs.push_back({"mha hd8 interleaved tied bias", c});
  }
  {
    llama_config c;  // grouped-query 4:1, head_dim 8, GGUF layout, untied, biases
    c.n_vocab = 77, c.n_embd = 64, c.n_layers = 3, c.n_heads = 8, c.n_kv_heads = 2, c.head_dim = 8, c.n_ff = 160;
    c.n_ctx_train = 64, c.rope = rope_layout::interleaved, c.tied_embeddings = false, c.qkv_bias = true;
    configs.push_back({"gqa hd8 interleaved untied bias", c});
  }
  {
    llama_config c;  // one kv head, head_dim 16 with n_heads * head_dim != n_embd, HF layout, tied
    c.n_vocab = 64, c.n_embd = 32, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 1, c.head_dim = 16, c.n_ff = 96;
    c.n_ctx_train = 64, c.rope = rope_layout::rotate_half, c.tied_embeddings = true, c.qkv_bias = false;
    c.rope_theta = 1000.0;
    configs.push_back({"mqa hd16 wide-q rotate_half tied", c});
  }
  return configs;
}

namespace {

// A copy of a 2-D tensor's rows, row `r` of each head going to row perm(r).
tensor_view permute_rows(const tensor_view& t, std::int64_t head_dim, derived_model& out) {
  const std::int64_t half = head_dim / 2;
  const std::int64_t row_bytes = row_size_bytes(t.type, t.n_cols());
  auto buffer = std::make_unique<std::byte[]>(static_cast<std::size_t>(row_bytes * t.n_rows()));
  for (std::int64_t r = 0; r < t.n_rows(); ++r) {
    const std::int64_t head = r / head_dim, within = r % head_dim;
    const std::int64_t to = head * head_dim + 2 * (within % half) + within / half;
    std::memcpy(buffer.get() + to * row_bytes, t.row(r), static_cast<std::size_t>(row_bytes));
  }
  tensor_view v = make_contiguous_view(t.type, buffer.get(), t.n_rows(), t.n_cols());
  out.buffers.push_back(std::move(buffer));
  return v;
}

// The same permutation on the elements of a 1-D tensor (a bias).
tensor_view permute_elements(const tensor_view& t, std::int64_t head_dim, derived_model& out) {
  const std::int64_t half = head_dim / 2;
  const std::int64_t element_bytes = traits(t.type).block_bytes;
  REQUIRE(traits(t.type).block_elements == 1);
  auto buffer = std::make_unique<std::byte[]>(static_cast<std::size_t>(element_bytes * t.n_cols()));
  const auto* src = static_cast<const std::byte*>(t.data);
  for (std::int64_t r = 0; r < t.n_cols(); ++r) {
    const std::int64_t head = r / head_dim, within = r % head_dim;
    const std::int64_t to = head * head_dim + 2 * (within % half) + within / half;
    std::memcpy(buffer.get() + to * element_bytes, src + r * element_bytes, static_cast<std::size_t>(element_bytes));
  }
  tensor_view v = make_contiguous_view(t.type, buffer.get(), 0, t.n_cols());
  out.buffers.push_back(std::move(buffer));
  return v;
}

}  // namespace

derived_model permute_to_interleaved(const model_view& base) {
  REQUIRE(base.config.rope == rope_layout::rotate_half);
  derived_model out;
  out.view = base;
  out.view.config.rope = rope_layout::interleaved;
  const std::int64_t hd = base.config.head_dim;
  for (layer_tensors& layer : out.view.layers) {
    layer.wq = permute_rows(layer.wq, hd, out);
    layer.wk = permute_rows(layer.wk, hd, out);
    if (base.config.qkv_bias) {
      layer.bq = permute_elements(layer.bq, hd, out);
      layer.bk = permute_elements(layer.bk, hd, out);
    }
  }
  return out;
}

compressed_model compress_all(const llama_config& c, std::uint64_t seed) {
  compressed_model m{make_random_model(c, seed, dtype::f32), {}};
  const std::vector<std::string> formats = {"2:4", "int4-g128", "unstructured-70", "nf4", "int8-outliers", "1:2", "int3-g128",
                                            "4:8", "int2-g128", "int8-g128", "int4-g128-actorder", "unstructured-50"};
  std::size_t next = 0;
  m.weights.reserve(m.base.view.layers.size() * k_n_linear_slots);
  for (layer_tensors& l : m.base.view.layers) {
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      tensor_view& t = l.linear(static_cast<linear_slot>(slot));
      const std::string& format = formats[next % formats.size()];
      ++next;
      auto w = make_synthetic_weight(format, t.n_rows(), t.n_cols(), static_cast<std::uint32_t>(seed + next));
      REQUIRE(w);
      m.weights.push_back(std::move(*w));
      l.compressed[slot] = &*m.weights.back().compressed;
      t = tensor_view{};
    }
  }
  return m;
}


}  // namespace kick::test
