#include "core/calibrate/block_forward.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/util/rows_to_f32.h"
#include "kick/format_codec.h"

namespace kick {

namespace {

std::vector<float> to_f32(const tensor_view& t) {
  if (t.empty()) return {};
  std::vector<float> out(static_cast<std::size_t>(t.n_elements()));
  const std::int64_t n_rows = t.n_rows(), n_cols = t.n_cols();
  for (std::int64_t r = 0; r < n_rows; ++r) row_to_f32(t.type, t.row(r), out.data() + r * n_cols, n_cols);
  return out;
}

// y [n, n_out] = x [n, n_in] * W^T, W [n_out, n_in].
void linear(const float* x, const std::vector<float>& w, float* y, std::int64_t n, std::int64_t n_in, std::int64_t n_out) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(n_out), static_cast<int>(n_in), 1.0f,
              x, static_cast<int>(n_in), w.data(), static_cast<int>(n_in), 0.0f, y, static_cast<int>(n_out));
}

void rms_norm(const float* x, const std::vector<float>& weight, float* out, std::int64_t n, std::int64_t d, double eps) {
  for (std::int64_t t = 0; t < n; ++t) {
    double sum_sq = 0.0;
    for (std::int64_t j = 0; j < d; ++j) sum_sq += static_cast<double>(x[t * d + j]) * x[t * d + j];
    const auto inv = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(d) + eps));
    for (std::int64_t j = 0; j < d; ++j) out[t * d + j] = x[t * d + j] * inv * weight[static_cast<std::size_t>(j)];
  }
}

// cos/sin of position * theta^(-2i/head_dim) for positions [0, n) and i in [0, head_dim/2).
struct rope_angles {
  std::int64_t half = 0;
  std::vector<float> cos, sin;
  rope_angles(std::int64_t n, std::int64_t head_dim, double theta) : half(head_dim / 2) {
    cos.resize(static_cast<std::size_t>(n * half));
    sin.resize(static_cast<std::size_t>(n * half));
    for (std::int64_t i = 0; i < half; ++i) {
      const double freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(head_dim));
      for (std::int64_t pos = 0; pos < n; ++pos) {
        const double angle = static_cast<double>(pos) * freq;
        cos[static_cast<std::size_t>(pos * half + i)] = static_cast<float>(std::cos(angle));
        sin[static_cast<std::size_t>(pos * half + i)] = static_cast<float>(std::sin(angle));
      }
    }
  }
};

void apply_rope(float* v, std::int64_t pos, const rope_angles& r, rope_layout layout) {
  const float* c = r.cos.data() + pos * r.half;
  const float* s = r.sin.data() + pos * r.half;
  for (std::int64_t i = 0; i < r.half; ++i) {
    float& a = layout == rope_layout::rotate_half ? v[i] : v[2 * i];
    float& b = layout == rope_layout::rotate_half ? v[i + r.half] : v[2 * i + 1];
    const float a0 = a, b0 = b;
    a = a0 * c[i] - b0 * s[i];
    b = a0 * s[i] + b0 * c[i];
  }
}

}  // namespace

block_input input_of(linear_slot slot) {
  switch (slot) {
    case linear_slot::q:
    case linear_slot::k:
    case linear_slot::v: return block_input::attn_norm_out;
    case linear_slot::o: return block_input::attn_out;
    case linear_slot::gate:
    case linear_slot::up: return block_input::ffn_norm_out;
    case linear_slot::down: return block_input::ffn_act;
  }
  return block_input::attn_norm_out;
}

block_weights load_block_weights(const model_view& model, std::int64_t index) {
  const layer_tensors& l = model.layers[static_cast<std::size_t>(index)];
  block_weights w;
  w.attn_norm = to_f32(l.attn_norm);
  w.ffn_norm = to_f32(l.ffn_norm);
  w.bq = to_f32(l.bq);
  w.bk = to_f32(l.bk);
  w.bv = to_f32(l.bv);
  for (std::size_t s = 0; s < k_n_linear_slots; ++s) {
    if (const compressed_weight* c = l.compressed[s]) {
      w.linear[s].resize(static_cast<std::size_t>(c->n_rows * c->n_cols));
      densify(*c, w.linear[s].data());
    } else {
      w.linear[s] = to_f32(l.linear(static_cast<linear_slot>(s)));
    }
  }
  return w;
}

std::vector<float> embed_tokens(const model_view& model, const std::vector<std::int32_t>& tokens) {
  const std::int64_t d = model.config.n_embd;
  std::vector<float> out(tokens.size() * static_cast<std::size_t>(d));
  for (std::size_t t = 0; t < tokens.size(); ++t)
    row_to_f32(model.tok_embd.type, model.tok_embd.row(tokens[t]), out.data() + t * static_cast<std::size_t>(d), d);
  return out;
}

void block_forward(const llama_config& c, const block_weights& w, const float* x, float* out, std::int64_t n, const block_tap& tap) {
  const std::int64_t d = c.n_embd, hd = c.head_dim, q_dim = c.n_heads * hd, kv_dim = c.n_kv_heads * hd, ff = c.n_ff;
  const auto sz = [n](std::int64_t width) { return static_cast<std::size_t>(n * width); };
  std::vector<float> xn(sz(d)), q(sz(q_dim)), k(sz(kv_dim)), v(sz(kv_dim)), attn(sz(q_dim)), proj(sz(d));
  const auto weights = [&](linear_slot s) -> const std::vector<float>& { return w.linear[static_cast<std::size_t>(s)]; };

  rms_norm(x, w.attn_norm, xn.data(), n, d, c.rms_norm_eps);
  if (tap) tap(block_input::attn_norm_out, xn.data(), n, d);
  linear(xn.data(), weights(linear_slot::q), q.data(), n, d, q_dim);
  linear(xn.data(), weights(linear_slot::k), k.data(), n, d, kv_dim);
  linear(xn.data(), weights(linear_slot::v), v.data(), n, d, kv_dim);
  const rope_angles angles(n, hd, c.rope_theta);
  for (std::int64_t t = 0; t < n; ++t) {
    for (std::int64_t j = 0; j < q_dim && !w.bq.empty(); ++j) q[static_cast<std::size_t>(t * q_dim + j)] += w.bq[static_cast<std::size_t>(j)];
    for (std::int64_t j = 0; j < kv_dim && !w.bk.empty(); ++j) k[static_cast<std::size_t>(t * kv_dim + j)] += w.bk[static_cast<std::size_t>(j)];
    for (std::int64_t j = 0; j < kv_dim && !w.bv.empty(); ++j) v[static_cast<std::size_t>(t * kv_dim + j)] += w.bv[static_cast<std::size_t>(j)];
    for (std::int64_t h = 0; h < c.n_heads; ++h) apply_rope(q.data() + t * q_dim + h * hd, t, angles, c.rope);
    for (std::int64_t h = 0; h < c.n_kv_heads; ++h) apply_rope(k.data() + t * kv_dim + h * hd, t, angles, c.rope);
  }
  // Causal softmax attention, grouped-query: head h reads KV head h / (n_heads / n_kv_heads).
  // Per head: S = Q_h K_h^T (sgemm; the strided head slices are read in place), a causal softmax
  // per row, then O_h = P V_h.
  const std::int64_t group = c.n_heads / c.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  std::vector<float> scores(static_cast<std::size_t>(n * n));
  const int ni = static_cast<int>(n), hdi = static_cast<int>(hd);
  for (std::int64_t h = 0; h < c.n_heads; ++h) {
    const std::int64_t kvh = h / group;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ni, ni, hdi, scale, q.data() + h * hd, static_cast<int>(q_dim),
                k.data() + kvh * hd, static_cast<int>(kv_dim), 0.0f, scores.data(), ni);
    for (std::int64_t t = 0; t < n; ++t) {
      float* row = scores.data() + t * n;
      const float max_score = *std::max_element(row, row + t + 1);
      float sum = 0.0f;
      for (std::int64_t s2 = 0; s2 <= t; ++s2) sum += row[s2] = std::exp(row[s2] - max_score);
      const float inv = 1.0f / sum;
      for (std::int64_t s2 = 0; s2 <= t; ++s2) row[s2] *= inv;
      std::fill(row + t + 1, row + n, 0.0f);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, hdi, ni, 1.0f, scores.data(), ni, v.data() + kvh * hd,
                static_cast<int>(kv_dim), 0.0f, attn.data() + h * hd, static_cast<int>(q_dim));
  }
  if (tap) tap(block_input::attn_out, attn.data(), n, q_dim);
  linear(attn.data(), weights(linear_slot::o), proj.data(), n, q_dim, d);
  for (std::size_t i = 0; i < sz(d); ++i) out[i] = x[i] + proj[i];

  rms_norm(out, w.ffn_norm, xn.data(), n, d, c.rms_norm_eps);
  if (tap) tap(block_input::ffn_norm_out, xn.data(), n, d);
  std::vector<float> gate(sz(ff)), up(sz(ff));
  linear(xn.data(), weights(linear_slot::gate), gate.data(), n, d, ff);
  linear(xn.data(), weights(linear_slot::up), up.data(), n, d, ff);
  for (std::size_t i = 0; i < sz(ff); ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  if (tap) tap(block_input::ffn_act, gate.data(), n, ff);
  linear(gate.data(), weights(linear_slot::down), proj.data(), n, ff, d);
  for (std::size_t i = 0; i < sz(d); ++i) out[i] += proj[i];
}

}  // namespace kick
