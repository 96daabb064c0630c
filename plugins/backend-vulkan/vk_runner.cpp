#include "vk_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kick/convert.h"
#include "kick/model_checks.h"
#include "linear_ops.h"
#include "ops.h"
#include "rope_tables.h"

namespace kick::vk {

namespace {

const char* const k_slot_names[k_n_linear_slots] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};

std::uint64_t f32_bytes(std::int64_t n) { return static_cast<std::uint64_t>(n) * sizeof(float); }

}  // namespace

vk_runner::vk_runner(std::shared_ptr<session> s, llama_config config, std::int64_t n_ctx)
    : session_(std::move(s)), config_(std::move(config)), n_ctx_(n_ctx) {}

result<std::unique_ptr<vk_runner>> vk_runner::create(std::shared_ptr<session> s, const model_view& model, const runner_options& options) {
  if (status st = check_model_view(model); !st.ok()) return fail(st);
  const std::int64_t n_ctx = options.n_ctx > 0 ? options.n_ctx : model.config.n_ctx_train;
  if (options.n_ctx < 0 || n_ctx <= 0 || n_ctx >= (std::int64_t{1} << 31)) {
    return fail(status_code::invalid_argument, fmt::format("context length {} (options.n_ctx {}, model n_ctx_train {}) must be in [1, 2^31)",
                                                           n_ctx, options.n_ctx, model.config.n_ctx_train));
  }
  if (status st = s->open_device(); !st.ok()) return fail(st);
  std::unique_ptr<vk_runner> r(new vk_runner(std::move(s), model.config, n_ctx));
  const device& dev = r->session_->dev();
  r->pool_ = std::make_unique<memory_pool>(dev);
  r->arena_ = std::make_unique<descriptor_arena>(dev);
  auto stream = command_stream::create(dev);
  if (!stream) return fail(stream.error());
  r->stream_ = std::move(*stream);
  if (status st = r->upload(model); !st.ok()) return fail(st);
  if (status st = r->allocate_state(); !st.ok()) return fail(st);
  r->session_->services().log(log_level::info, fmt::format("vulkan: {} MiB of weights, {} MiB of kv cache ({} positions), {} MiB of activations",
                                                          r->report_.weight_bytes >> 20, r->report_.cache_bytes >> 20, n_ctx,
                                                          r->report_.activation_bytes >> 20));
  return r;
}

result<buffer_range> vk_runner::upload_vector(const tensor_view& t, const std::string& what) {
  std::vector<float> values(static_cast<std::size_t>(t.n_elements()));
  dequantize_row(t.type, t.data, values.data(), t.n_elements());
  auto range = pool_->allocate(f32_bytes(t.n_elements()), memory_kind::device, what);
  if (!range) return fail(range.error());
  if (status s = pool_->upload(*range, values.data(), f32_bytes(t.n_elements())); !s.ok()) return fail(s);
  report_.weight_bytes += range->size;
  return *range;
}

status vk_runner::upload(const model_view& model) {
  const host& services = session_->services();
  upload_options options;
  options.max_binding_bytes = session_->max_binding_bytes();
  const auto upload_linear = [&](const linear_weight& w, const std::string& what) -> result<device_linear> {
    auto d = device_linear::upload(*pool_, w, options, what);
    if (!d) return fail(d.error());
    report_.weight_bytes += d->bytes();
    return d;
  };
  auto dummy = pool_->allocate(16, memory_kind::device, "the placeholder buffer");
  if (!dummy) return dummy.error();
  dummy_ = *dummy;
  auto embd = upload_linear(linear_weight{&model.tok_embd, nullptr}, "token_embd");
  if (!embd) return embd.error();
  tok_embd_.emplace(std::move(*embd));
  if (model.output.data != model.tok_embd.data) {
    auto out = upload_linear(linear_weight{&model.output, nullptr}, "output");
    if (!out) return out.error();
    output_.emplace(std::move(*out));
  }
  auto norm = upload_vector(model.output_norm, "output_norm");
  if (!norm) return norm.error();
  output_norm_ = *norm;
  const std::int64_t total = config_.n_layers;
  for (std::int64_t l = 0; l < total; ++l) {
    const layer_tensors& src = model.layers[static_cast<std::size_t>(l)];
    layer_weights& w = layers_.emplace_back();
    const std::string prefix = fmt::format("blk.{}.", l);
    for (std::size_t slot = 0; slot < k_n_linear_slots; ++slot) {
      const auto which = static_cast<linear_slot>(slot);
      const linear_weight lw{src.compressed_linear(which) != nullptr ? nullptr : &src.linear(which), src.compressed_linear(which)};
      auto d = upload_linear(lw, prefix + k_slot_names[slot]);
      if (!d) return d.error();
      w.linear[slot].emplace(std::move(*d));
    }
    auto attn_norm = upload_vector(src.attn_norm, prefix + "attn_norm");
    if (!attn_norm) return attn_norm.error();
    w.attn_norm = *attn_norm;
    auto ffn_norm = upload_vector(src.ffn_norm, prefix + "ffn_norm");
    if (!ffn_norm) return ffn_norm.error();
    w.ffn_norm = *ffn_norm;
    if (config_.qkv_bias) {
      auto bq = upload_vector(src.bq, prefix + "attn_q.bias");
      auto bk = upload_vector(src.bk, prefix + "attn_k.bias");
      auto bv = upload_vector(src.bv, prefix + "attn_v.bias");
      if (!bq) return bq.error();
      if (!bk) return bk.error();
      if (!bv) return bv.error();
      w.bq = *bq, w.bk = *bk, w.bv = *bv;
    }
    services.progress("vulkan: uploading layers", l + 1, total);
  }
  return status::success();
}

status vk_runner::allocate_state() {
  const llama_config& c = config_;
  const std::int64_t kv_layer_floats = c.n_kv_heads * n_ctx_ * c.head_dim;
  const std::uint64_t binding_limit = session_->max_binding_bytes();
  if (binding_limit > 0 && f32_bytes(kv_layer_floats) > binding_limit) {
    return status(status_code::resource_exhausted,
                  fmt::format("vulkan device {}: a layer's kv cache of {} positions needs {} MiB in one binding, more than the device's "
                              "{} MiB maxStorageBufferRange; use a shorter context",
                              session_->dev().caps().name, n_ctx_, f32_bytes(kv_layer_floats) >> 20, binding_limit >> 20));
  }
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    for (buffer_range* cache : {&layers_[l].cache_k, &layers_[l].cache_v}) {
      auto range = pool_->allocate(f32_bytes(kv_layer_floats), memory_kind::device, fmt::format("blk.{} kv cache", l));
      if (!range) return range.error();
      *cache = *range;
      report_.cache_bytes += range->size;
    }
  }
  const rope_tables_host tables = make_rope_tables(c.head_dim, n_ctx_, c.rope_theta);
  for (auto [target, values] : {std::pair{&rope_cos_, &tables.cos}, std::pair{&rope_sin_, &tables.sin}}) {
    auto range = pool_->allocate(f32_bytes(static_cast<std::int64_t>(values->size())), memory_kind::device, "rope table");
    if (!range) return range.error();
    if (status s = pool_->upload(*range, values->data(), f32_bytes(static_cast<std::int64_t>(values->size()))); !s.ok()) return s;
    *target = *range;
  }
  const std::int64_t chunk = std::min(k_max_chunk_tokens, n_ctx_);
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  const auto alloc = [&](buffer_range& out, std::int64_t width, memory_kind kind, const char* what) -> status {
    auto range = pool_->allocate(f32_bytes(chunk * width), kind, what);
    if (!range) return range.error();
    out = *range;
    report_.activation_bytes += range->size;
    return status::success();
  };
  const struct {
    buffer_range* out;
    std::int64_t width;
    memory_kind kind;
    const char* what;
  } plan[] = {{&act_.tokens, 1, memory_kind::host, "token ids"},
              {&act_.x, c.n_embd, memory_kind::device, "hidden state"},
              {&act_.xb, std::max(c.n_embd, q_dim), memory_kind::device, "normed hidden state"},
              {&act_.q, q_dim, memory_kind::device, "queries"},
              {&act_.k, kv_dim, memory_kind::device, "keys"},
              {&act_.v, kv_dim, memory_kind::device, "values"},
              {&act_.att, q_dim, memory_kind::device, "attention output"},
              {&act_.tmp, c.n_embd, memory_kind::device, "block output"},
              {&act_.gate, c.n_ff, memory_kind::device, "ffn gate"},
              {&act_.up, c.n_ff, memory_kind::device, "ffn up"},
              {&act_.logits, c.n_vocab, memory_kind::device, "logits"},
              {&act_.readback, c.n_vocab, memory_kind::host, "logits readback"},
              {&act_.targets, 1, memory_kind::host, "score targets"},
              {&act_.logprob, 1, memory_kind::device, "score log-probabilities"},
              {&act_.argmax, 1, memory_kind::device, "score argmax"}};
  for (const auto& p : plan) {
    if (status s = alloc(*p.out, p.width, p.kind, p.what); !s.ok()) return s;
  }
  return status::success();
}

status vk_runner::eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode, std::span<float> logits_out) {
  if (status s = check_eval_args(tokens, n_past, mode, n_cached_, n_ctx_, config_.n_vocab, static_cast<std::int64_t>(logits_out.size()));
      !s.ok()) {
    return s;
  }
  const auto n_tokens = static_cast<std::int64_t>(tokens.size());
  const std::int64_t n_vocab = config_.n_vocab;
  n_cached_ = n_past;  // discard the tail first: a failure below leaves a consistent cache
  const std::int64_t chunk = std::min(k_max_chunk_tokens, n_ctx_);
  for (std::int64_t start = 0; start < n_tokens; start += chunk) {
    const std::int64_t n = std::min(chunk, n_tokens - start);
    const bool last_chunk = start + n == n_tokens;
    chunk_output out;
    if (mode == logits_mode::all) {
      out.logits = logits_out.data() + start * n_vocab;
    } else {  // only the final position's logits are wanted; earlier chunks just fill the cache
      out.first_logit = last_chunk ? n - 1 : n;
      out.logits = logits_out.data();
    }
    if (status s = forward_chunk(tokens.data() + start, n, n_past + start, out); !s.ok()) return s;
    n_cached_ = n_past + start + n;
  }
  return status::success();
}

status vk_runner::score(std::span<const std::int32_t> tokens, std::int64_t n_past, std::span<const std::int32_t> targets,
                        std::span<double> logprob_out, std::span<std::int32_t> argmax_out) {
  if (status s = check_score_args(tokens.size(), targets, logprob_out.size(), argmax_out.size(), config_.n_vocab); !s.ok()) return s;
  if (status s = check_eval_args(tokens, n_past, logits_mode::last, n_cached_, n_ctx_, config_.n_vocab, -1); !s.ok()) return s;
  const auto n_tokens = static_cast<std::int64_t>(tokens.size());
  n_cached_ = n_past;
  const std::int64_t chunk = std::min(k_max_chunk_tokens, n_ctx_);
  for (std::int64_t start = 0; start < n_tokens; start += chunk) {
    const std::int64_t n = std::min(chunk, n_tokens - start);
    const auto at = static_cast<std::size_t>(start);
    chunk_output out;
    out.targets = targets.data() + at;
    out.logprob = logprob_out.data() + at;
    out.argmax = argmax_out.data() + at;
    if (status s = forward_chunk(tokens.data() + start, n, n_past + start, out); !s.ok()) return s;
    n_cached_ = n_past + start + n;
  }
  return status::success();
}

status vk_runner::record_layer(op_context& ctx, const layer_weights& w, std::uint32_t n_tokens, std::uint32_t pos0) {
  const llama_config& c = config_;
  const auto d = static_cast<std::uint32_t>(c.n_embd);
  const auto hd = static_cast<std::uint32_t>(c.head_dim);
  const auto q_dim = static_cast<std::uint32_t>(c.n_heads * c.head_dim);
  const auto kv_dim = static_cast<std::uint32_t>(c.n_kv_heads * c.head_dim);
  const auto ff = static_cast<std::uint32_t>(c.n_ff);
  const auto eps = static_cast<float>(c.rms_norm_eps);
  const auto lin = [&](linear_slot slot) -> const device_linear& { return *w.linear[static_cast<std::size_t>(slot)]; };
  status s = record_rms_norm(ctx, act_.x, w.attn_norm, act_.xb, n_tokens, d, eps);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::q), act_.xb, d, act_.q, q_dim, n_tokens);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::k), act_.xb, d, act_.k, kv_dim, n_tokens);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::v), act_.xb, d, act_.v, kv_dim, n_tokens);
  if (s.ok() && c.qkv_bias) {
    s = record_add_bias(ctx, act_.q, w.bq, n_tokens, q_dim);
    if (s.ok()) s = record_add_bias(ctx, act_.k, w.bk, n_tokens, kv_dim);
    if (s.ok()) s = record_add_bias(ctx, act_.v, w.bv, n_tokens, kv_dim);
  }
  if (s.ok()) s = record_rope(ctx, act_.q, n_tokens, q_dim, static_cast<std::uint32_t>(c.n_heads), hd, pos0, rope_cos_, rope_sin_, c.rope);
  if (s.ok()) s = record_rope(ctx, act_.k, n_tokens, kv_dim, static_cast<std::uint32_t>(c.n_kv_heads), hd, pos0, rope_cos_, rope_sin_, c.rope);
  if (s.ok()) {
    s = record_kv_store(ctx, act_.k, act_.v, w.cache_k, w.cache_v, n_tokens, static_cast<std::uint32_t>(c.n_kv_heads), hd,
                        static_cast<std::uint32_t>(n_ctx_), pos0);
  }
  if (s.ok()) {
    s = record_attention(ctx, act_.q, w.cache_k, w.cache_v, act_.att, n_tokens, pos0, static_cast<std::uint32_t>(c.n_heads),
                         static_cast<std::uint32_t>(c.n_kv_heads), hd, static_cast<std::uint32_t>(n_ctx_));
  }
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::o), act_.att, q_dim, act_.tmp, d, n_tokens);
  if (s.ok()) s = record_add(ctx, act_.x, act_.tmp, n_tokens * d);
  if (s.ok()) s = record_rms_norm(ctx, act_.x, w.ffn_norm, act_.xb, n_tokens, d, eps);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::gate), act_.xb, d, act_.gate, ff, n_tokens);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::up), act_.xb, d, act_.up, ff, n_tokens);
  if (s.ok()) s = record_swiglu(ctx, act_.gate, act_.up, n_tokens * ff);
  if (s.ok()) s = record_linear(ctx, lin(linear_slot::down), act_.gate, ff, act_.tmp, d, n_tokens);
  if (s.ok()) s = record_add(ctx, act_.x, act_.tmp, n_tokens * d);
  return s;
}

status vk_runner::forward_chunk(const std::int32_t* tokens, std::int64_t n_tokens, std::int64_t pos0, const chunk_output& out) {
  const std::int64_t first_logit = out.first_logit;
  const llama_config& c = config_;
  const auto d = static_cast<std::uint32_t>(c.n_embd);
  const auto n_vocab = static_cast<std::uint32_t>(c.n_vocab);
  const auto n = static_cast<std::uint32_t>(n_tokens);
  std::vector<std::uint32_t> ids(tokens, tokens + n_tokens);
  if (status s = pool_->upload(act_.tokens, ids.data(), ids.size() * sizeof(std::uint32_t)); !s.ok()) return s;
  if (out.targets != nullptr) {
    ids.assign(out.targets, out.targets + n_tokens);
    if (status s = pool_->upload(act_.targets, ids.data(), ids.size() * sizeof(std::uint32_t)); !s.ok()) return s;
  }
  arena_->reset();
  if (status s = stream_->begin(); !s.ok()) return s;
  op_context ctx{session_->dev(), session_->pipelines(), *arena_, *stream_, dummy_};
  status s = record_embedding(ctx, *tok_embd_, act_.tokens, n, act_.x, d);
  for (std::size_t l = 0; s.ok() && l < layers_.size(); ++l) s = record_layer(ctx, layers_[l], n, static_cast<std::uint32_t>(pos0));
  const std::int64_t n_logits = n_tokens - first_logit;
  if (s.ok() && n_logits > 0) {
    // The rows whose logits are wanted; a row offset must respect the binding alignment, else
    // every row is normed and projected.
    const std::uint64_t row_offset = f32_bytes(first_logit * c.n_embd);
    const std::uint64_t alignment = std::max<std::uint64_t>(session_->dev().caps().min_storage_buffer_offset_alignment, 4);
    const std::int64_t from = row_offset % alignment == 0 ? first_logit : 0;
    buffer_range x_rows = act_.x;
    x_rows.offset += f32_bytes(from * c.n_embd);
    x_rows.size -= f32_bytes(from * c.n_embd);
    const auto rows = static_cast<std::uint32_t>(n_tokens - from);
    s = record_rms_norm(ctx, x_rows, output_norm_, act_.xb, rows, d, static_cast<float>(c.rms_norm_eps));
    if (s.ok()) s = record_linear(ctx, output_ ? *output_ : *tok_embd_, act_.xb, d, act_.logits, n_vocab, rows);
    if (s.ok() && out.targets != nullptr) {  // every row (first_logit is 0): two numbers per row come back
      s = record_logprob(ctx, act_.logits, act_.targets, act_.logprob, act_.argmax, n, n_vocab);
      if (s.ok()) {
        buffer_range argmax_back = act_.readback;
        argmax_back.offset += f32_bytes(n_tokens);
        stream_->copy(act_.logprob, act_.readback, f32_bytes(n_tokens));
        stream_->copy(act_.argmax, argmax_back, f32_bytes(n_tokens));
        stream_->barrier();
      }
      if (s.ok()) s = stream_->submit_and_wait();
      std::vector<float> logprob(static_cast<std::size_t>(n_tokens));
      std::vector<std::uint32_t> argmax(static_cast<std::size_t>(n_tokens));
      if (s.ok()) s = pool_->download(act_.readback, logprob.data(), f32_bytes(n_tokens));
      if (s.ok()) s = pool_->download(act_.readback, argmax.data(), f32_bytes(n_tokens), f32_bytes(n_tokens));
      for (std::int64_t i = 0; s.ok() && i < n_tokens; ++i) {
        out.logprob[i] = logprob[static_cast<std::size_t>(i)];
        out.argmax[i] = static_cast<std::int32_t>(argmax[static_cast<std::size_t>(i)]);
      }
      return s;
    }
    if (s.ok()) {
      stream_->copy(act_.logits, act_.readback, f32_bytes(static_cast<std::int64_t>(rows) * c.n_vocab));
      stream_->barrier();
    }
    if (s.ok()) s = stream_->submit_and_wait();
    if (s.ok()) {
      s = pool_->download(act_.readback, out.logits, f32_bytes(n_logits * c.n_vocab), f32_bytes((first_logit - from) * c.n_vocab));
    }
    return s;
  }
  if (s.ok()) s = stream_->submit_and_wait();
  return s;
}

}  // namespace kick::vk
