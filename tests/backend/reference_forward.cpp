#include "backend/reference_forward.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kick/convert.h"

namespace kick::test {

namespace {

using matrix = std::vector<std::vector<double>>;  // [row][col]

std::vector<double> reference_row(const tensor_view& t, std::int64_t r) {
  std::vector<float> f(static_cast<std::size_t>(t.n_cols()));
  dequantize_row(t.type, t.row(r), f.data(), t.n_cols());
  return {f.begin(), f.end()};
}

// Whole tensor as doubles, [n_rows][n_cols] (1-D tensors as one row).
matrix reference_load(const tensor_view& t) {
  matrix m;
  if (t.n_dims == 1) {
    std::vector<float> f(static_cast<std::size_t>(t.n_cols()));
    dequantize_row(t.type, t.data, f.data(), t.n_cols());
    m.emplace_back(f.begin(), f.end());
    return m;
  }
  for (std::int64_t r = 0; r < t.n_rows(); ++r) m.push_back(reference_row(t, r));
  return m;
}

// y = W x for W [n_out][n_in].
std::vector<double> reference_linear(const matrix& w, const std::vector<double>& x) {
  std::vector<double> y(w.size(), 0.0);
  for (std::size_t r = 0; r < w.size(); ++r) {
    double acc = 0.0;
    for (std::size_t c = 0; c < x.size(); ++c) acc += w[r][c] * x[c];
    y[r] = acc;
  }
  return y;
}

std::vector<double> reference_rms_norm(const std::vector<double>& x, const std::vector<double>& weight, double eps) {
  double sum_sq = 0.0;
  for (double v : x) sum_sq += v * v;
  const double scale = 1.0 / std::sqrt(sum_sq / static_cast<double>(x.size()) + eps);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * weight[i];
  return y;
}

// Rotates each head of `v` (n_heads heads of head_dim) to position `pos`.
void reference_rope(std::vector<double>& v, std::int64_t n_heads, const llama_config& c, std::int64_t pos) {
  const std::int64_t hd = c.head_dim;
  for (std::int64_t h = 0; h < n_heads; ++h) {
    double* head = v.data() + h * hd;
    for (std::int64_t i = 0; i < hd / 2; ++i) {
      const double angle = static_cast<double>(pos) / std::pow(c.rope_theta, 2.0 * static_cast<double>(i) / static_cast<double>(hd));
      // The pair of dimensions rotated together with frequency index i.
      const std::int64_t a = c.rope == rope_layout::rotate_half ? i : 2 * i;
      const std::int64_t b = c.rope == rope_layout::rotate_half ? i + hd / 2 : 2 * i + 1;
      const double x0 = head[a], x1 = head[b];
      head[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
      head[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
    }
  }
}

void reference_add(std::vector<double>& y, const std::vector<double>& x) {
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += x[i];
}

}  // namespace

std::vector<double> reference_forward(const model_view& model, std::span<const std::int32_t> tokens) {
  const llama_config& c = model.config;
  const auto n = static_cast<std::int64_t>(tokens.size());
  const std::int64_t hd = c.head_dim;
  const std::int64_t group = c.n_heads / c.n_kv_heads;

  // Residual stream of every position.
  matrix x;
  for (std::int32_t tok : tokens) x.push_back(reference_row(model.tok_embd, tok));

  for (const layer_tensors& layer : model.layers) {
    const matrix wq = reference_load(layer.wq), wk = reference_load(layer.wk), wv = reference_load(layer.wv);
    const matrix wo = reference_load(layer.wo);
    const matrix gate = reference_load(layer.w_gate), up = reference_load(layer.w_up), down = reference_load(layer.w_down);
    const std::vector<double> attn_norm = reference_load(layer.attn_norm)[0];
    const std::vector<double> ffn_norm = reference_load(layer.ffn_norm)[0];

    matrix q(static_cast<std::size_t>(n)), k(static_cast<std::size_t>(n)), v(static_cast<std::size_t>(n));
    for (std::int64_t t = 0; t < n; ++t) {
      const auto ti = static_cast<std::size_t>(t);
      const std::vector<double> xn = reference_rms_norm(x[ti], attn_norm, c.rms_norm_eps);
      q[ti] = reference_linear(wq, xn);
      k[ti] = reference_linear(wk, xn);
      v[ti] = reference_linear(wv, xn);
      if (c.qkv_bias) {
        reference_add(q[ti], reference_load(layer.bq)[0]);
        reference_add(k[ti], reference_load(layer.bk)[0]);
        reference_add(v[ti], reference_load(layer.bv)[0]);
      }
      reference_rope(q[ti], c.n_heads, c, t);
      reference_rope(k[ti], c.n_kv_heads, c, t);
    }

    for (std::int64_t t = 0; t < n; ++t) {
      const auto ti = static_cast<std::size_t>(t);
      std::vector<double> att(static_cast<std::size_t>(c.n_heads * hd), 0.0);
      for (std::int64_t h = 0; h < c.n_heads; ++h) {
        const std::int64_t kvh = h / group;
        std::vector<double> scores(static_cast<std::size_t>(t + 1));
        double max_score = -INFINITY;
        for (std::int64_t j = 0; j <= t; ++j) {
          double s = 0.0;
          for (std::int64_t i = 0; i < hd; ++i) {
            s += q[ti][static_cast<std::size_t>(h * hd + i)] * k[static_cast<std::size_t>(j)][static_cast<std::size_t>(kvh * hd + i)];
          }
          scores[static_cast<std::size_t>(j)] = s / std::sqrt(static_cast<double>(hd));
          max_score = std::max(max_score, scores[static_cast<std::size_t>(j)]);
        }
        double sum = 0.0;
        for (double& s : scores) {
          s = std::exp(s - max_score);
          sum += s;
        }
        for (std::int64_t j = 0; j <= t; ++j) {
          const double p = scores[static_cast<std::size_t>(j)] / sum;
          for (std::int64_t i = 0; i < hd; ++i) {
            att[static_cast<std::size_t>(h * hd + i)] += p * v[static_cast<std::size_t>(j)][static_cast<std::size_t>(kvh * hd + i)];
          }
        }
      }
      reference_add(x[ti], reference_linear(wo, att));
    }

    for (std::int64_t t = 0; t < n; ++t) {
      const auto ti = static_cast<std::size_t>(t);
      const std::vector<double> xn = reference_rms_norm(x[ti], ffn_norm, c.rms_norm_eps);
      std::vector<double> g = reference_linear(gate, xn);
      const std::vector<double> u = reference_linear(up, xn);
      for (std::size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      reference_add(x[ti], reference_linear(down, g));
    }
  }

  const matrix output = reference_load(model.output);
  const std::vector<double> output_norm = reference_load(model.output_norm)[0];
  std::vector<double> logits;
  logits.reserve(static_cast<std::size_t>(n * c.n_vocab));
  for (std::int64_t t = 0; t < n; ++t) {
    const std::vector<double> row = reference_linear(output, reference_rms_norm(x[static_cast<std::size_t>(t)], output_norm, c.rms_norm_eps));
    logits.insert(logits.end(), row.begin(), row.end());
  }
  return logits;
}

std::int64_t reference_argmax(const float* begin, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    if (begin[i] > begin[best]) best = i;
  }
  return best;
}

}  // namespace kick::test
