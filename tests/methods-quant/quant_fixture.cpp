#include "quant_fixture.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "kick/format_codec.h"

namespace quant_test {

layer_case make_case(std::int64_t n_out, std::int64_t n_in, std::int64_t n_seq, std::int64_t seq_len, std::uint32_t seed,
                     std::int64_t salient_every) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  layer_case c;
  c.n_out = n_out;
  c.n_in = n_in;
  c.n_tokens = n_seq * seq_len;
  c.weight.resize(static_cast<std::size_t>(n_out * n_in));
  for (float& v : c.weight) v = normal(rng) * 0.05f;
  std::vector<float> a(static_cast<std::size_t>(n_in * n_in));
  for (float& v : a) v = normal(rng) / std::sqrt(static_cast<float>(n_in));
  for (std::int64_t i = 0; i < n_in; ++i) a[static_cast<std::size_t>(i * n_in + i)] += 0.5f;
  for (std::int64_t i = 3; i < n_in; i += salient_every) c.salient.push_back(i);
  c.inputs.assign(static_cast<std::size_t>(c.n_tokens * n_in), 0.0f);
  std::vector<float> z(static_cast<std::size_t>(n_in));
  for (std::int64_t t = 0; t < c.n_tokens; ++t) {
    for (float& v : z) v = normal(rng);
    float* x = c.inputs.data() + t * n_in;
    for (std::int64_t j = 0; j < n_in; ++j)
      for (std::int64_t i = 0; i < n_in; ++i) x[i] += z[static_cast<std::size_t>(j)] * a[static_cast<std::size_t>(j * n_in + i)];
    for (std::int64_t i : c.salient) x[i] *= 20.0f;
  }
  kick::statistics_request req;
  req.inputs = req.input_abs_mean = req.input_abs_max = true;
  c.acc = std::make_shared<kick::layer_statistics>(n_in, req);
  for (std::int64_t s = 0; s < n_seq; ++s) c.acc->add_sequence(c.inputs.data() + s * seq_len * n_in, seq_len, n_in);
  return c;
}

double output_error(const layer_case& c, const std::vector<float>& compressed) {
  double total = 0.0;
  std::vector<double> diff(static_cast<std::size_t>(c.n_out * c.n_in));
  for (std::size_t i = 0; i < diff.size(); ++i) diff[i] = static_cast<double>(c.weight[i]) - compressed[i];
  for (std::int64_t t = 0; t < c.n_tokens; ++t) {
    const float* x = c.inputs.data() + t * c.n_in;
    for (std::int64_t r = 0; r < c.n_out; ++r) {
      double d = 0.0;
      const double* w = diff.data() + r * c.n_in;
      for (std::int64_t i = 0; i < c.n_in; ++i) d += x[i] * w[i];
      total += d * d;
    }
  }
  return total;
}

}  // namespace quant_test
