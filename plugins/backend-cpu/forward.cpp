#include "forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "attention.h"
#include "kick/model_checks.h"

namespace kick::cpu {

result<std::unique_ptr<cpu_runner>> cpu_runner::create(const model_view& model, const runner_options& options,
                                                       const kernel_set& kernels, int n_threads, linear_options linear,
                                                       const host& services) {
  const model_view& view = model;
  if (status s = check_model_view(view); !s.ok()) return fail(s);
  const std::int64_t n_ctx = options.n_ctx > 0 ? options.n_ctx : model.config.n_ctx_train;
  if (options.n_ctx < 0 || n_ctx <= 0 || n_ctx >= (std::int64_t{1} << 31)) {
    return fail(status_code::invalid_argument,
                "context length " + std::to_string(n_ctx) + " (options.n_ctx " + std::to_string(options.n_ctx) +
                    ", model n_ctx_train " + std::to_string(model.config.n_ctx_train) + ") must be in [1, 2^31)");
  }
  const llama_config& c = model.config;
  auto cache = kv_cache::create(c.n_layers, c.n_kv_heads, c.head_dim, n_ctx);
  if (!cache) return fail(cache.error());
  const std::int64_t cache_mib = (cache->size_bytes() + (1 << 20) - 1) >> 20;  // rounded up
  // Worth telling only when it is big.
  services.log(cache_mib >= 1024 ? log_level::info : log_level::debug, "kv cache of " + std::to_string(n_ctx) + " positions, " + std::to_string(cache_mib) + " MiB (f32)");
  model_vectors vectors = convert_vectors(view);
  if (status s = make_compressed_linears(view, kernels, linear, vectors); !s.ok()) return fail(s);
  return std::make_unique<cpu_runner>(view, std::move(vectors), std::move(*cache), kernels, n_threads);
}

namespace {
std::int64_t widest_input(const llama_config& c, std::int64_t n_ctx) {
  return std::max({c.n_embd, c.n_heads * c.head_dim, c.n_ff, n_ctx});
}
}  // namespace

cpu_runner::cpu_runner(model_view model, model_vectors vectors, kv_cache cache, const kernel_set& kernels, int n_threads)
    : model_(std::move(model)),
      vectors_(std::move(vectors)),
      cache_(std::move(cache)),
      rope_(model_.config.head_dim, cache_.n_ctx(), model_.config.rope_theta, model_.config.rope),
      ctx_(kernels, n_threads, widest_input(model_.config, cache_.n_ctx())) {}

status cpu_runner::eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode,
                        std::span<float> logits_out) {
  if (status s = check_eval_args(tokens, n_past, mode, n_cached_, cache_.n_ctx(), model_.config.n_vocab,
                                  static_cast<std::int64_t>(logits_out.size()));
      !s.ok()) {
    return s;
  }
  const auto n_tokens = static_cast<std::int64_t>(tokens.size());
  const std::int64_t n_vocab = model_.config.n_vocab;
  n_cached_ = n_past;  // discard the tail first: a failure below leaves a consistent cache
  // Only products of many tokens go through BLAS (see matmul).
  std::optional<blas_single_thread_scope> blas_scope;
  if (n_tokens >= k_gemm_min_tokens) blas_scope.emplace();
  for (std::int64_t start = 0; start < n_tokens; start += k_max_chunk_tokens) {
    const std::int64_t n = std::min(k_max_chunk_tokens, n_tokens - start);
    const bool last_chunk = start + n == n_tokens;
    if (mode == logits_mode::all) {
      forward_chunk(tokens.data() + start, n, n_past + start, 0, logits_out.data() + start * n_vocab);
    } else {
      // Only the final position's logits are wanted; earlier chunks just fill the cache.
      forward_chunk(tokens.data() + start, n, n_past + start, last_chunk ? n - 1 : n, logits_out.data());
    }
    n_cached_ = n_past + start + n;
  }
  return status::success();
}

void cpu_runner::ensure_scratch(std::int64_t n_tokens) {
  if (n_tokens <= scratch_tokens_) return;
  const llama_config& c = model_.config;
  const auto size = [n_tokens](std::int64_t width) { return static_cast<std::size_t>(n_tokens * width); };
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  x_.resize(size(c.n_embd));
  xb_.resize(size(std::max(c.n_embd, q_dim)));
  q_.resize(size(q_dim));
  k_.resize(size(kv_dim));
  v_.resize(size(kv_dim));
  att_.resize(size(q_dim));
  tmp_.resize(size(c.n_embd));
  gate_.resize(size(c.n_ff));
  up_.resize(size(c.n_ff));
  scratch_tokens_ = n_tokens;
}

namespace {
// out = x * inv_rms * w, inv_rms from the sum of squares of x.
void scale_row(const float* x, float sum_sq, const float* w, std::int64_t n, float eps, float* out) {
  const float inv_rms = 1.0f / std::sqrt(sum_sq / static_cast<float>(n) + eps);
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * inv_rms * w[i];
}
}  // namespace

void cpu_runner::rms_norm_rows(const float* x, const std::vector<float>& weight, std::int64_t n_tokens, float* out) const {
  const std::int64_t n = model_.config.n_embd;
  const auto eps = static_cast<float>(model_.config.rms_norm_eps);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float* xt = x + t * n;
    float sum_sq = 0.0f;
#pragma omp simd reduction(+ : sum_sq)
    for (std::int64_t i = 0; i < n; ++i) sum_sq += xt[i] * xt[i];
    scale_row(xt, sum_sq, weight.data(), n, eps, out + t * n);
  }
}

void cpu_runner::add_rms_norm_rows(float* x, const float* residual, const std::vector<float>& weight, std::int64_t n_tokens,
                                   float* out) const {
  const std::int64_t n = model_.config.n_embd;
  const auto eps = static_cast<float>(model_.config.rms_norm_eps);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    float* xt = x + t * n;
    const float* rt = residual + t * n;
    float sum_sq = 0.0f;
#pragma omp simd reduction(+ : sum_sq)
    for (std::int64_t i = 0; i < n; ++i) {
      xt[i] += rt[i];
      sum_sq += xt[i] * xt[i];
    }
    scale_row(xt, sum_sq, weight.data(), n, eps, out + t * n);
  }
}

namespace {
void add_rows(float* y, const float* x, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void add_bias(float* y, const std::vector<float>& bias, std::int64_t n_tokens) {
  if (bias.empty()) return;
  const auto width = static_cast<std::int64_t>(bias.size());
  for (std::int64_t t = 0; t < n_tokens; ++t) add_rows(y + t * width, bias.data(), width);
}
}  // namespace

void cpu_runner::forward_chunk(const std::int32_t* tokens, std::int64_t n_tokens, std::int64_t pos0, std::int64_t first_logit,
                               float* logits) {
  ensure_scratch(n_tokens);
  const llama_config& c = model_.config;
  const std::int64_t d = c.n_embd;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    ctx_.kernels().dequant_row(model_.tok_embd.type, model_.tok_embd.row(tokens[t]), x_.data() + t * d, d);
  }
  for (std::int64_t l = 0; l < c.n_layers; ++l) layer_forward(l, n_tokens, pos0);
  const std::int64_t n_logits = n_tokens - first_logit;
  if (n_logits <= 0) return;
  // The last layer's MLP output is added only where logits are wanted.
  add_rms_norm_rows(x_.data() + first_logit * d, tmp_.data() + first_logit * d, vectors_.output_norm, n_logits, xb_.data());
  matmul(linear_ref{&model_.output, nullptr}, xb_.data(), n_logits, logits, c.n_vocab, ctx_);
}

void cpu_runner::layer_forward(std::int64_t layer, std::int64_t n_tokens, std::int64_t pos0) {
  const llama_config& c = model_.config;
  const layer_tensors& w = model_.layers[static_cast<std::size_t>(layer)];
  const layer_vectors& vec = vectors_.layers[static_cast<std::size_t>(layer)];
  const auto& compressed = vectors_.compressed[static_cast<std::size_t>(layer)];
  const auto lin = [&](linear_slot slot) {
    const compressed_linear* c = compressed[static_cast<std::size_t>(slot)].get();
    return c != nullptr ? linear_ref{nullptr, c} : linear_ref{&w.linear(slot), nullptr};
  };
  const std::int64_t d = c.n_embd;
  const std::int64_t hd = c.head_dim;
  const std::int64_t q_dim = c.n_heads * hd;
  const std::int64_t kv_dim = c.n_kv_heads * hd;

  // Attention block (after adding the previous layer's MLP output).
  if (layer == 0) {
    rms_norm_rows(x_.data(), vec.attn_norm, n_tokens, xb_.data());
  } else {
    add_rms_norm_rows(x_.data(), tmp_.data(), vec.attn_norm, n_tokens, xb_.data());
  }
  const linear_job qkv[] = {{lin(linear_slot::q), q_.data(), q_dim}, {lin(linear_slot::k), k_.data(), kv_dim}, {lin(linear_slot::v), v_.data(), kv_dim}};
  matmul_group(qkv, xb_.data(), n_tokens, ctx_);
  add_bias(q_.data(), vec.bq, n_tokens);
  add_bias(k_.data(), vec.bk, n_tokens);
  add_bias(v_.data(), vec.bv, n_tokens);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const std::int64_t pos = pos0 + t;
    for (std::int64_t h = 0; h < c.n_heads; ++h) rope_.apply(q_.data() + t * q_dim + h * hd, pos);
    for (std::int64_t h = 0; h < c.n_kv_heads; ++h) {
      rope_.apply(k_.data() + t * kv_dim + h * hd, pos, cache_.key(layer, h, pos));  // rotated straight into the cache
      std::memcpy(cache_.value(layer, h, pos), v_.data() + t * kv_dim + h * hd, static_cast<std::size_t>(hd) * sizeof(float));
    }
  }
  attention(q_.data(), n_tokens, pos0, layer, cache_, c, att_.data(), ctx_);
  matmul(lin(linear_slot::o), att_.data(), n_tokens, tmp_.data(), d, ctx_);

  // SwiGLU MLP: down(silu(gate x) * up x), after adding the attention output.
  add_rms_norm_rows(x_.data(), tmp_.data(), vec.ffn_norm, n_tokens, xb_.data());
  const linear_job gate_up[] = {{lin(linear_slot::gate), gate_.data(), c.n_ff}, {lin(linear_slot::up), up_.data(), c.n_ff}};
  matmul_group(gate_up, xb_.data(), n_tokens, ctx_);
  float* g = gate_.data();
  const float* u = up_.data();
  const std::int64_t n_ff_total = n_tokens * c.n_ff;
  constexpr std::int64_t k_swiglu_chunk = std::int64_t{1} << 14;
  ctx_.pool().for_each((n_ff_total + k_swiglu_chunk - 1) / k_swiglu_chunk, [&](std::int64_t chunk, int) {
    const std::int64_t end = std::min(n_ff_total, (chunk + 1) * k_swiglu_chunk);
    for (std::int64_t i = chunk * k_swiglu_chunk; i < end; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  }, n_ff_total >= (std::int64_t{1} << 18));
  matmul(lin(linear_slot::down), g, n_tokens, tmp_.data(), d, ctx_);  // added by the next fused add + norm
}

}  // namespace kick::cpu
