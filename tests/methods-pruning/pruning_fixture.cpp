#include "pruning_fixture.h"

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

namespace pruning_test {

layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     const std::vector<std::int64_t>& dead) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  layer_case c;
  c.n_out = n_out;
  c.n_in = n_in;
  c.n_seq = n_seq;
  c.seq_len = seq_len;
  c.weight.resize(static_cast<std::size_t>(n_out * n_in));
  for (float& v : c.weight) v = normal(rng) * 0.05f;
  std::vector<float> a(static_cast<std::size_t>(n_in * n_in));
  for (float& v : a) v = normal(rng) / std::sqrt(static_cast<float>(n_in));
  for (std::int64_t i = 0; i < n_in; ++i) a[static_cast<std::size_t>(i * n_in + i)] += 0.5f;
  std::vector<float> shared(static_cast<std::size_t>(n_in));
  for (float& v : shared) v = normal(rng);
  const std::int64_t n_tokens = n_seq * seq_len;
  c.inputs.assign(static_cast<std::size_t>(n_tokens * n_in), 0.0f);
  std::vector<float> z(static_cast<std::size_t>(n_in));
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float common = normal(rng) * 2.0f;
    for (std::int64_t j = 0; j < n_in; ++j) z[static_cast<std::size_t>(j)] = normal(rng) + common * shared[static_cast<std::size_t>(j)];
    float* x = c.inputs.data() + t * n_in;
    for (std::int64_t j = 0; j < n_in; ++j)
      for (std::int64_t i = 0; i < n_in; ++i) x[i] += z[static_cast<std::size_t>(j)] * a[static_cast<std::size_t>(j * n_in + i)];
    for (std::int64_t i = 5; i < n_in; i += 37) x[i] *= 20.0f;  // outlier channels
    for (std::int64_t d : dead) x[d] = 0.0f;
  }
  kick::statistics_request req;
  req.hessian = true;
  req.input_sq_mean = true;
  kick::layer_statistics acc(n_in, req);
  for (std::int64_t s = 0; s < n_seq; ++s) acc.add_sequence(c.inputs.data() + s * seq_len * n_in, seq_len, n_in);
  const kick::layer_stats view = acc.view();
  c.hessian.assign(view.hessian, view.hessian + n_in * n_in);
  c.input_sq_mean.assign(view.input_sq_mean, view.input_sq_mean + n_in);
  return c;
}

double output_error(const layer_case& c, const std::vector<float>& compressed) {
  double total = 0.0;
  const std::int64_t n_tokens = c.n_seq * c.seq_len;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float* x = c.inputs.data() + t * c.n_in;
    for (std::int64_t r = 0; r < c.n_out; ++r) {
      double diff = 0.0;
      for (std::int64_t i = 0; i < c.n_in; ++i)
        diff += static_cast<double>(x[i]) * (static_cast<double>(c.weight[static_cast<std::size_t>(r * c.n_in + i)]) -
                                             compressed[static_cast<std::size_t>(r * c.n_in + i)]);
      total += diff * diff;
    }
  }
  return total;
}

kick::param_map params(double sparsity, const std::string& pattern, bool use_variant) {
  kick::param_map p;
  p.set("sparsity", sparsity);
  p.set("pattern", pattern);
  p.set("use_variant", use_variant);
  return p;
}

}  // namespace pruning_test
