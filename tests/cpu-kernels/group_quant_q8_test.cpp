// int8-activation decode of group-quantized layers (group_quant_q8.h) on every instruction set this
// machine runs: (1) against the documented arithmetic recomputed here in double (x in kernel order,
// divided by input_scale, quantized per 32 columns), tolerance 1e-5 relative to the sum of |terms|;
// (2) against the exact product of the stored weights, within the bound the quantization allows
// (each |x - a xq| <= a / 2); (3) layers the int8 kernels cannot take keep their f32 kernels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "compressed_linear.h"
#include "group_quant_layers.h"
#include "kernel_sets.h"
#include "kick/format_codec.h"
#include "matmul.h"

using namespace kick;
using namespace kick::cpu;
using namespace kick::cpu::testing;

namespace {

struct reference {
  std::vector<double> y, tolerance, exact, bound;  // [token][row]
};

// The documented arithmetic in double, and the exact product with the quantization's error bound.
reference compute_reference(const compressed_weight& w, const std::vector<float>& x, std::int64_t n_tokens) {
  const auto& l = std::get<group_quant_layout>(w.layout);
  const std::int64_t rows = w.n_rows, cols = w.n_cols;
  std::vector<std::int32_t> order(static_cast<std::size_t>(cols));
  std::iota(order.begin(), order.end(), 0);
  if (!l.g_idx.empty()) std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) { return l.g_idx[a] < l.g_idx[b]; });
  std::vector<float> dense(static_cast<std::size_t>(rows * cols));
  densify(w, dense.data());
  reference ref;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    std::vector<float> xk(static_cast<std::size_t>(cols)), scale(static_cast<std::size_t>(cols));
    std::vector<float> xq(static_cast<std::size_t>(cols));
    for (std::int64_t c = 0; c < cols; ++c) {
      const std::int32_t from = order[static_cast<std::size_t>(c)];
      xk[c] = x[t * cols + from] * (l.input_scale.empty() ? 1.0f : 1.0f / l.input_scale[from]);
    }
    for (std::int64_t s = 0; s < cols / 32; ++s) {
      float amax = 0.0f;
      for (std::int64_t c = 32 * s; c < 32 * s + 32; ++c) amax = std::max(amax, std::fabs(xk[c]));
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      for (std::int64_t c = 32 * s; c < 32 * s + 32; ++c) {
        xq[c] = std::nearbyint(xk[c] * inv);
        scale[c] = amax / 127.0f;
      }
    }
    for (std::int64_t r = 0; r < rows; ++r) {
      double y = 0.0, tol = 1e-30, exact = 0.0, bound = 1e-30;
      for (std::int64_t c = 0; c < cols; ++c) {
        const std::int32_t from = order[static_cast<std::size_t>(c)];
        const auto g = static_cast<std::size_t>(r * l.n_groups + quant_group_of(l, from));
        const double q = quant_code(l, r, from), sw = l.scales[g], zw = l.zeros[g];
        const double a = scale[c], v = xq[c];
        y += sw * (q - zw) * a * v;
        tol += 1e-5 * sw * (q + std::fabs(zw)) * a * std::fabs(v);
        const double wc = dense[static_cast<std::size_t>(r * cols + from)];
        exact += wc * x[t * cols + from];
        // |x' - a xq| <= a / 2 (+ f32 rounding of x'), x' = x / input_scale; W x = (W input_scale) x'.
        const double in = l.input_scale.empty() ? 1.0 : l.input_scale[from];
        bound += std::fabs(wc * in) * (0.5 * a + 1e-6 * std::fabs(xk[c])) + 1e-5 * sw * (q + std::fabs(zw)) * a * std::fabs(v);
      }
      ref.y.push_back(y);
      ref.tolerance.push_back(tol);
      ref.exact.push_back(exact);
      ref.bound.push_back(bound);
    }
  }
  return ref;
}

linear_options int8_activations() {
  linear_options o;
  o.activations = activation_type::int8;
  return o;
}

}  // namespace

TEST_CASE("cpu kernels: int8-activation group-quant decode computes the documented arithmetic", "[cpu-kernels][gq][q8]") {
  std::vector<gq_shape> shapes;
  for (int bits : {2, 4, 8}) {
    shapes.push_back({bits, 1, 32, 32, act_order::none, false});     // one step, a partial chunk
    shapes.push_back({bits, 7, 192, 64, act_order::none, false});    // the test model's width: partial last chunk
    shapes.push_back({bits, 19, 512, 128, act_order::none, false});  // whole chunks (int2: 2 groups per chunk)
    shapes.push_back({bits, 5, 1056, 96, act_order::none, true});    // groups of 3 steps, input_scale
    shapes.push_back({bits, 13, 320, 32, act_order::none, false});   // a group per step: many groups per chunk
    shapes.push_back({bits, 11, 384, 128, act_order::even, false});   // act-order
    shapes.push_back({bits, 3, 256, 64, act_order::even, true});      // act-order with input_scale
  }
  for (const kernel_set* kernels : testable_kernel_sets()) {
    for (const gq_shape& s : shapes) {
      INFO(kernels->isa << " int" << s.bits << " " << s.rows << "x" << s.cols << " group " << s.group_size << (s.order != act_order::none ? " act-order" : "")
                        << (s.input_scale ? " input_scale" : ""));
      const compressed_weight w = make_group_quant_layer(s, static_cast<std::uint32_t>(s.rows * 1000 + s.cols + s.bits));
      REQUIRE(check_layout(w).ok());
      auto lin = make_compressed_linear(w, *kernels, int8_activations());
      REQUIRE(lin);
      const std::string name = (*lin)->kernel_name();
      INFO("kernel " << name);
      // Each kernel set runs its own int8 kernel: VNNI on AVX-512, vpmaddubsw on AVX2 (and on AVX-512 without VNNI).
      CHECK(name.find("int8-activations " + expected_q8_kernel(*kernels)) != std::string::npos);
      std::mt19937 rng(5);
      std::normal_distribution<float> normal;
      std::vector<float> scratch(static_cast<std::size_t>((*lin)->scratch_floats()));
      for (std::int64_t n_tokens : {1, 2, 3, 7, 9}) {
        std::vector<float> x(static_cast<std::size_t>(n_tokens * s.cols));
        for (float& v : x) v = normal(rng);
        if (s.cols >= 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero step (scale 0)
        const reference ref = compute_reference(w, x, n_tokens);
        const std::int64_t ldy = s.rows + 2;
        std::vector<float> y(static_cast<std::size_t>(n_tokens * ldy), std::numeric_limits<float>::quiet_NaN());
        const std::int64_t r0 = s.rows > 2 ? 1 : 0;
        (*lin)->matvec(r0, s.rows, x.data(), n_tokens, y.data(), ldy, scratch.data());
        int bad = 0;
        for (std::int64_t t = 0; t < n_tokens; ++t) {
          for (std::int64_t r = 0; r < s.rows; ++r) {
            const float got = y[static_cast<std::size_t>(t * ldy + r)];
            if (r < r0) {
              bad += std::isnan(got) ? 0 : 1;
              continue;
            }
            const auto i = static_cast<std::size_t>(t * s.rows + r);
            if (!(std::fabs(got - ref.y[i]) <= ref.tolerance[i]) && ++bad <= 3)
              FAIL_CHECK("token " << t << " row " << r << ": " << got << " vs " << ref.y[i] << " (tolerance " << ref.tolerance[i] << ")");
            if (!(std::fabs(got - ref.exact[i]) <= ref.bound[i]) && ++bad <= 3)
              FAIL_CHECK("token " << t << " row " << r << ": " << got << " vs exact " << ref.exact[i] << " (bound " << ref.bound[i] << ")");
          }
        }
        CHECK(bad == 0);
      }
    }
  }
}

TEST_CASE("cpu kernels: int8 activations through matmul prepare x once and match the layer's own matvec", "[cpu-kernels][gq][q8]") {
  for (const kernel_set* kernels : testable_kernel_sets()) {
    for (int bits : {2, 4, 8}) {
      INFO(kernels->isa << " int" << bits);
      const compressed_weight w = make_group_quant_layer({bits, 70, 640, 128, act_order::none, false}, 3);
      auto lin = make_compressed_linear(w, *kernels, int8_activations());
      REQUIRE(lin);
      CHECK((*lin)->prepared_input_bytes(1) > 0);
      compute_context ctx(*kernels, 2, w.n_cols);
      for (std::int64_t n_tokens : {1, 4, 7}) {
        std::vector<float> x(static_cast<std::size_t>(n_tokens * w.n_cols));
        std::mt19937 rng(static_cast<std::uint32_t>(n_tokens));
        std::normal_distribution<float> normal;
        for (float& v : x) v = normal(rng);
        std::vector<float> direct(static_cast<std::size_t>(n_tokens * w.n_rows)), threaded(direct.size());
        std::vector<float> scratch(static_cast<std::size_t>((*lin)->scratch_floats()));
        (*lin)->matvec(0, w.n_rows, x.data(), n_tokens, direct.data(), w.n_rows, scratch.data());
        linear_ref ref;
        ref.compressed = lin->get();
        matmul(ref, x.data(), n_tokens, threaded.data(), w.n_rows, ctx);
        CHECK(threaded == direct);  // same kernels, same prepared input: bit for bit
      }
    }
  }
}

TEST_CASE("cpu kernels: layers the int8-activation kernels cannot take keep their f32 kernels", "[cpu-kernels][gq][q8]") {
  const gq_shape cases[] = {
      {3, 4, 256, 128, act_order::none, false},  // 3 bits
      {4, 4, 200, 100, act_order::none, false},  // columns not a multiple of 32
      {4, 4, 256, 16, act_order::none, false},   // groups smaller than 32 columns
      {8, 4, 256, 48, act_order::none, false},   // groups that split 32-column steps
  };
  for (const gq_shape& s : cases) {
    INFO("int" << s.bits << " " << s.cols << " columns, group " << s.group_size);
    const compressed_weight w = make_group_quant_layer(s, 9);
    auto lin = make_compressed_linear(w, best_kernels(), int8_activations());
    REQUIRE(lin);
    CHECK((*lin)->kernel_name().find("int8-activations") == std::string::npos);
  }
}
