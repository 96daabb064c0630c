// bench-methods: wall-clock seconds of the OBS methods on LLaMA-7B-sized layers.
//
//   bench-methods [--tokens N] [--shapes small|full]
//
// The Hessian of a 4096-input layer is accumulated by the host's own layer_statistics from
// random correlated inputs (X = Z A + noise, 256 latent factors, every 61st channel x20), in
// sequences of 2048 tokens. The references use 128 x 2048 tokens; accumulating 262144 tokens here
// would time the statistics, not the method, and the methods' cost does not depend on how many
// tokens built H, so by default 4 sequences (8192 tokens, H full rank) are used; --tokens changes it.
// Printed: H accumulation, Hessian preparation (LAPACK spotrf/spotri vs Eigen LLT, the
// comparison that chose LAPACK for kick_method_math), then gptq 4-bit g128 and sparsegpt 50 %
// on W [4096, 4096] and W [11008, 4096].
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/calibrate/layer_statistics.h"
#include "gptq.h"
#include "hessian_prep.h"
#include "sparsegpt.h"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::vector<float> random_inputs(std::int64_t n_tokens, std::int64_t n_in, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::int64_t k = 256;
  std::vector<float> a(static_cast<std::size_t>(k * n_in));
  for (float& v : a) v = normal(rng) / 16.0f;
  std::vector<float> z(static_cast<std::size_t>(n_tokens * k));
  for (float& v : z) v = normal(rng);
  std::vector<float> x(static_cast<std::size_t>(n_tokens * n_in));
  for (float& v : x) v = 0.3f * normal(rng);
  // x += z a (plain loops are slow; use Eigen's product for the mixing)
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> xm(x.data(), n_tokens, n_in);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> zm(z.data(), n_tokens, k);
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> am(a.data(), k, n_in);
  xm.noalias() += zm * am;
  for (std::int64_t t = 0; t < n_tokens; ++t)
    for (std::int64_t i = 3; i < n_in; i += 61) x[static_cast<std::size_t>(t * n_in + i)] *= 20.0f;
  return x;
}

std::vector<float> random_weight(std::int64_t n_out, std::int64_t n_in, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(n_out * n_in));
  for (float& v : w) v = normal(rng);
  return w;
}

double eigen_prepare(const std::vector<float>& h, std::int64_t n, double percdamp) {
  using matrix = Eigen::MatrixXf;
  const auto start = clock_type::now();
  matrix m = Eigen::Map<const matrix>(h.data(), n, n);
  const float damp = kick::methods::damping_term(h.data(), n, percdamp);
  m.diagonal().array() += damp;
  Eigen::LLT<matrix> llt(m);
  const matrix inv = llt.solve(matrix::Identity(n, n));
  Eigen::LLT<matrix> llt2(inv);
  const matrix u = llt2.matrixU();
  const double s = seconds_since(start);
  if (llt.info() != Eigen::Success || llt2.info() != Eigen::Success || !std::isfinite(u(0, 0)))
    std::printf("  (eigen: factorization failed)\n");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, also into a pipe
  std::int64_t n_tokens = 8192;
  bool full = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tokens") == 0) n_tokens = std::stoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--shapes") == 0) full = std::strcmp(argv[i + 1], "small") != 0;
  }
  const std::int64_t n_in = full ? 4096 : 1024, seq_len = 2048;
  const std::int64_t n_seq = std::max<std::int64_t>(1, n_tokens / seq_len);
  std::printf("bench-methods: n_in %lld, %lld calibration sequences x %lld tokens\n", static_cast<long long>(n_in),
              static_cast<long long>(n_seq), static_cast<long long>(seq_len));

  auto start = clock_type::now();
  const std::vector<float> x = random_inputs(n_seq * seq_len, n_in, 1);
  std::printf("inputs generated: %.2f s\n", seconds_since(start));
  start = clock_type::now();
  kick::statistics_request req;
  req.hessian = true;
  kick::layer_statistics acc(n_in, req);
  for (std::int64_t s = 0; s < n_seq; ++s) acc.add_sequence(x.data() + s * seq_len * n_in, seq_len, n_in);
  const kick::layer_stats stats = acc.view();
  const std::vector<float> h(stats.hessian, stats.hessian + n_in * n_in);
  std::printf("hessian accumulated (layer_statistics, %lld tokens): %.2f s\n", static_cast<long long>(n_seq * seq_len),
              seconds_since(start));

  {
    std::vector<float> work = h;
    start = clock_type::now();
    const kick::status s = kick::methods::damp_and_invert_upper(work.data(), n_in, 0.01);
    std::printf("hessian preparation %lldx%lld, LAPACK spotrf/spotri/spotrf: %.3f s%s\n", static_cast<long long>(n_in),
                static_cast<long long>(n_in), seconds_since(start), s.ok() ? "" : " (failed)");
    std::printf("hessian preparation %lldx%lld, Eigen LLT/solve/LLT:         %.3f s\n", static_cast<long long>(n_in),
                static_cast<long long>(n_in), eigen_prepare(h, n_in, 0.01));
  }

  const std::int64_t shapes[2] = {full ? 4096 : 1024, full ? 11008 : 2752};
  for (std::int64_t n_out : shapes) {
    const std::vector<float> w0 = random_weight(n_out, n_in, 7);
    {
      std::vector<float> w = w0;
      kick::methods::gptq_params p;
      p.bits = 4;
      p.group_size = 128;
      start = clock_type::now();
      auto out = kick::methods::gptq_compress(kick::matrix_f32{w.data(), n_out, n_in, n_in}, h.data(), p);
      std::printf("gptq 4-bit g128   W [%lld, %lld]: %.2f s%s\n", static_cast<long long>(n_out), static_cast<long long>(n_in),
                  seconds_since(start), out ? "" : (" FAILED: " + out.error().message()).c_str());
    }
    {
      std::vector<float> w = w0;
      kick::methods::sparsegpt_params p;
      p.sparsity = 0.5;
      start = clock_type::now();
      auto out = kick::methods::sparsegpt_compress(kick::matrix_f32{w.data(), n_out, n_in, n_in}, h.data(), p);
      std::printf("sparsegpt 50%%     W [%lld, %lld]: %.2f s%s\n", static_cast<long long>(n_out), static_cast<long long>(n_in),
                  seconds_since(start), out ? "" : (" FAILED: " + out.error().message()).c_str());
    }
  }
  return 0;
}
