// make_random_model: deterministic random weights for tests and `kickhost bench`.
//
// Every tensor is cut into fixed chunks of rows; each chunk draws from its own std::mt19937_64
// seeded from (seed, tensor, chunk), so the values do not depend on the number of threads.
#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/model/loader_support.h"
#include "core/model/model_loader.h"
#include "kick/convert.h"

namespace kick {
namespace {

constexpr std::int64_t k_chunk_elements = 1 << 16;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Values are offset + uniform(-half_width, half_width).
struct tensor_spec {
  tensor_view* target;
  dtype type;
  std::int64_t n_rows;  // 0 for a vector
  std::int64_t n_cols;
  float offset;
  float half_width;
  std::byte* data = nullptr;
};

void fill_chunk(const tensor_spec& spec, std::uint64_t seed, std::int64_t row_begin, std::int64_t row_end,
                std::vector<float>& scratch) {
  std::mt19937_64 rng(seed);
  const std::int64_t row_bytes = row_size_bytes(spec.type, spec.n_cols);
  scratch.resize(static_cast<std::size_t>(spec.n_cols));
  const float scale = 2.0f * spec.half_width / 16777216.0f;  // 24 random bits -> [0, 2 * half_width)
  const float base = spec.offset - spec.half_width;
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    std::int64_t i = 0;
    for (; i + 1 < spec.n_cols; i += 2) {  // two 24-bit draws per 64-bit output
      const std::uint64_t bits = rng();
      scratch[static_cast<std::size_t>(i)] = base + scale * static_cast<float>(bits >> 40);
      scratch[static_cast<std::size_t>(i + 1)] = base + scale * static_cast<float>((bits >> 8) & 0xffffffu);
    }
    if (i < spec.n_cols) scratch[static_cast<std::size_t>(i)] = base + scale * static_cast<float>(rng() >> 40);
    quantize_row(spec.type, scratch.data(), spec.data + r * row_bytes, spec.n_cols);
  }
}

}  // namespace

loaded_model make_random_model(const llama_config& config, std::uint64_t seed, dtype weight_type) {
  llama_config c = config;
  if (c.n_kv_heads == 0) c.n_kv_heads = c.n_heads;
  if (c.head_dim == 0 && c.n_heads > 0) c.head_dim = c.n_embd / c.n_heads;
  const std::int64_t q_dim = c.n_heads * c.head_dim, kv_dim = c.n_kv_heads * c.head_dim;
  for (std::int64_t d : {c.n_vocab, c.n_embd, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.n_ff}) {
    if (d <= 0 || d > detail::k_max_dim) {
      throw std::invalid_argument(fmt::format(
          "make_random_model: every dimension must be 1..{} (n_vocab {}, n_embd {}, n_layers {}, n_heads {}, "
          "n_kv_heads {}, head_dim {}, n_ff {})",
          detail::k_max_dim, c.n_vocab, c.n_embd, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.n_ff));
    }
  }
  if (weight_type == dtype::q8_0 && (c.n_embd % 32 != 0 || c.n_ff % 32 != 0 || q_dim % 32 != 0)) {
    throw std::invalid_argument(fmt::format(
        "make_random_model: q8_0 needs n_embd ({}), n_ff ({}) and n_heads * head_dim ({}) to be multiples of 32",
        c.n_embd, c.n_ff, q_dim));
  }

  loaded_model model;
  model.path = fmt::format("<random model, seed {}>", seed);
  model_view& v = model.view;
  v.config = c;
  v.layers.resize(static_cast<std::size_t>(c.n_layers));

  // Linear weights: std 1/sqrt(n_in) (uniform half-width sqrt(3/n_in)) keeps activations O(1).
  const auto linear = [&](tensor_view* t, std::int64_t n_out, std::int64_t n_in) {
    return tensor_spec{t, weight_type, n_out, n_in, 0.0f, std::sqrt(3.0f / static_cast<float>(n_in))};
  };
  const auto norm = [&](tensor_view* t) { return tensor_spec{t, dtype::f32, 0, c.n_embd, 1.0f, 0.1f}; };
  const auto bias = [&](tensor_view* t, std::int64_t n) { return tensor_spec{t, dtype::f32, 0, n, 0.0f, 0.1f}; };
  std::vector<tensor_spec> specs;
  specs.push_back(tensor_spec{&v.tok_embd, weight_type, c.n_vocab, c.n_embd, 0.0f, 1.0f});
  for (layer_tensors& l : v.layers) {
    specs.push_back(norm(&l.attn_norm));
    specs.push_back(linear(&l.wq, q_dim, c.n_embd));
    specs.push_back(linear(&l.wk, kv_dim, c.n_embd));
    specs.push_back(linear(&l.wv, kv_dim, c.n_embd));
    specs.push_back(linear(&l.wo, c.n_embd, q_dim));
    if (c.qkv_bias) {
      specs.push_back(bias(&l.bq, q_dim));
      specs.push_back(bias(&l.bk, kv_dim));
      specs.push_back(bias(&l.bv, kv_dim));
    }
    specs.push_back(norm(&l.ffn_norm));
    specs.push_back(linear(&l.w_gate, c.n_ff, c.n_embd));
    specs.push_back(linear(&l.w_up, c.n_ff, c.n_embd));
    specs.push_back(linear(&l.w_down, c.n_embd, c.n_ff));
  }
  specs.push_back(norm(&v.output_norm));
  if (!c.tied_embeddings) specs.push_back(linear(&v.output, c.n_vocab, c.n_embd));

  // Allocate, then list the chunks of rows to fill.
  struct chunk {
    std::size_t spec;
    std::int64_t row_begin, row_end;
  };
  std::vector<chunk> chunks;
  for (std::size_t s = 0; s < specs.size(); ++s) {
    tensor_spec& spec = specs[s];
    const std::int64_t n_rows = std::max<std::int64_t>(spec.n_rows, 1);
    const std::int64_t row_bytes = row_size_bytes(spec.type, spec.n_cols);
    auto buffer = std::make_unique_for_overwrite<std::byte[]>(static_cast<std::size_t>(n_rows * row_bytes));
    spec.data = buffer.get();
    *spec.target = make_contiguous_view(spec.type, buffer.get(), spec.n_rows, spec.n_cols);
    model.owned_buffers.push_back(std::move(buffer));
    const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, k_chunk_elements / std::max<std::int64_t>(spec.n_cols, 1));
    for (std::int64_t r = 0; r < n_rows; r += rows_per_chunk) chunks.push_back({s, r, std::min(n_rows, r + rows_per_chunk)});
  }
  if (c.tied_embeddings) v.output = v.tok_embd;

  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    std::vector<float> scratch;
    for (std::size_t i = next++; i < chunks.size(); i = next++) {
      const chunk& ch = chunks[i];
      const std::uint64_t chunk_seed =
          splitmix64(splitmix64(seed ^ (0x1000193ull * (ch.spec + 1))) + static_cast<std::uint64_t>(ch.row_begin));
      fill_chunk(specs[ch.spec], chunk_seed, ch.row_begin, ch.row_end, scratch);
    }
  };
  const std::size_t n_threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), std::max<std::size_t>(chunks.size() / 4, 1));
  std::vector<std::jthread> threads;
  for (std::size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  threads.clear();  // joins

  model.n_params = detail::count_params(v);
  return model;
}

}  // namespace kick
