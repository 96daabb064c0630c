#include "obs_fixture.h"

#include <algorithm>
#include <cmath>

#include <catch2/catch.hpp>

namespace obs_test {

layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     std::vector<std::int64_t> dead) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  layer_case c;
  c.n_out = n_out;
  c.n_in = n_in;
  c.weight.resize(static_cast<std::size_t>(n_out * n_in));
  for (float& v : c.weight) v = normal(rng) * 0.05f;
  // Mixing matrix: a few latent factors plus noise, so inputs are strongly correlated.
  const std::int64_t k = n_in;
  std::vector<float> a(static_cast<std::size_t>(k * n_in));
  for (float& v : a) v = normal(rng) / std::sqrt(static_cast<float>(k));
  for (std::int64_t i = 0; i < std::min(k, n_in); ++i) a[i * n_in + i] += 0.5f;
  c.n_tokens = n_seq * seq_len;
  c.inputs.assign(static_cast<std::size_t>(c.n_tokens * n_in), 0.0f);
  std::vector<float> z(static_cast<std::size_t>(k));
  const std::vector<float> shared_dir = [&] {
    std::vector<float> d(static_cast<std::size_t>(k));
    for (float& v : d) v = normal(rng);
    return d;
  }();
  for (std::int64_t t = 0; t < c.n_tokens; ++t) {
    const float common = normal(rng) * 2.0f;
    for (std::int64_t j = 0; j < k; ++j) z[j] = normal(rng) + common * shared_dir[j];
    float* x = c.inputs.data() + t * n_in;
    for (std::int64_t j = 0; j < k; ++j)
      for (std::int64_t i = 0; i < n_in; ++i) x[i] += z[j] * a[j * n_in + i];
    for (std::int64_t i = 3; i < n_in; i += 61) x[i] *= 20.0f;  // outlier channels
    for (std::int64_t d : dead) x[d] = 0.0f;
  }
  kick::statistics_request req;
  req.hessian = true;
  kick::layer_statistics acc(n_in, req);
  for (std::int64_t s = 0; s < n_seq; ++s) acc.add_sequence(c.inputs.data() + s * seq_len * n_in, seq_len, n_in);
  const kick::layer_stats view = acc.view();
  c.hessian.assign(view.hessian, view.hessian + n_in * n_in);
  return c;
}

double output_error(const layer_case& c, const std::vector<float>& compressed) {
  double total = 0.0;
  for (std::int64_t t = 0; t < c.n_tokens; ++t) {
    const float* x = c.inputs.data() + t * c.n_in;
    for (std::int64_t r = 0; r < c.n_out; ++r) {
      double diff = 0.0;
      for (std::int64_t i = 0; i < c.n_in; ++i)
        diff += static_cast<double>(x[i]) * (c.weight[r * c.n_in + i] - compressed[r * c.n_in + i]);
      total += diff * diff;
    }
  }
  return total;
}

std::vector<float> magnitude_prune(const std::vector<float>& w, double sparsity) {
  std::vector<float> mags(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) mags[i] = std::fabs(w[i]);
  std::vector<float> sorted = mags;
  std::sort(sorted.begin(), sorted.end());
  const float thresh = sorted[static_cast<std::size_t>(static_cast<double>(w.size()) * sparsity)];
  std::vector<float> out = w;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (mags[i] <= thresh) out[i] = 0.0f;
  return out;
}

}  // namespace obs_test
