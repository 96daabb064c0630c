// AWQ (plugins/method-awq): the quantizer, the scale search's loss grid, the clip search, the
// layout, and the error ordering against plain grouped RTN on inputs with salient channels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "awq.h"
#include "awq_clip.h"
#include "awq_quantizer.h"
#include "kick/format_codec.h"
#include "quant_fixture.h"

namespace {

using quant_test::as_matrix;
using quant_test::layer_case;

constexpr const char* k_down = "layers.0.mlp.down_proj";

kick::param_map awq_map(std::int64_t bits = 4, std::int64_t group = 128, bool zero_point = true, std::int64_t n_grid = 20,
                        double max_shrink = 0.5) {
  kick::param_map m;
  m.set("bits", bits);
  m.set("group_size", group);
  m.set("zero_point", zero_point);
  m.set("n_grid", n_grid);
  m.set("max_shrink", max_shrink);
  return m;
}

kick::methods::awq_params params_of(const kick::param_map& m) {
  auto p = kick::methods::parse_awq_params(m);
  REQUIRE(p.has_value());
  return *p;
}

struct awq_run {
  kick::method_output out;
  std::vector<float> weight;
};

awq_run run_awq(const layer_case& c, const kick::methods::awq_params& p, const char* name = k_down) {
  awq_run r;
  r.weight = c.weight;
  auto out = kick::methods::awq_compress(kick::layer_info{name, 0}, as_matrix(r.weight, c.n_out, c.n_in), c.stats(), p);
  INFO((out ? std::string() : out.error().message()));
  REQUIRE(out.has_value());
  r.out = std::move(*out);
  return r;
}

// Plain grouped RTN with AWQ's own quantizer (no scales, no clipping).
std::vector<float> plain_rtn(const layer_case& c, int bits, std::int64_t group) {
  std::vector<float> w = c.weight;
  for (std::int64_t r = 0; r < c.n_out; ++r)
    for (std::int64_t g = 0; g < c.n_in / group; ++g) kick::methods::awq_quantize_group(w.data() + r * c.n_in + g * group, group, bits, true, nullptr);
  return w;
}

}  // namespace

TEST_CASE("awq quantizer: group min/max not forced to include 0, half-to-even rounding, 1e-5 scale floor", "[awq]") {
  using kick::methods::awq_quantize_group;
  // All-positive group: the grid spans [1, 4], not [0, 4] as GPTQ's would.
  std::vector<float> pos = {1.0f, 2.0f, 3.0f, 4.0f};
  std::vector<std::uint8_t> codes(4);
  auto g = awq_quantize_group(pos.data(), 4, 2, true, codes.data());
  CHECK(g.scale == 1.0f);  // (4 - 1) / 3
  CHECK(g.zero == 0.0f);   // -round(1/1) = -1, clamped to 0
  CHECK(pos == std::vector<float>{1.0f, 2.0f, 3.0f, 3.0f});  // code 4 clamps to maxq 3
  // A group straddling 0; 0.5 / 1 = 0.5 rounds to 0 (half to even).
  std::vector<float> mixed = {-1.0f, 0.0f, 0.5f, 2.0f};
  g = awq_quantize_group(mixed.data(), 4, 2, true, codes.data());
  CHECK(g.zero == 1.0f);
  CHECK(codes == std::vector<std::uint8_t>{0, 1, 1, 3});
  CHECK(mixed == std::vector<float>{-1.0f, 0.0f, 0.0f, 2.0f});
  // A constant positive group: the range is floored at 1e-5, the zero point clamps to 0 and the
  // codes saturate at maxq, so the reference's quantizer turns 0.25 into 15 * 1e-5/15 = 1e-5.
  std::vector<float> flat = {0.25f, 0.25f, 0.25f};
  g = awq_quantize_group(flat.data(), 3, 4, true, nullptr);
  CHECK(g.scale == Approx(1e-5 / 15.0).epsilon(1e-6));
  CHECK(g.zero == 0.0f);
  CHECK(flat[0] == Approx(1e-5).epsilon(1e-5));
  // zero_point = false: signed absmax grid, stored with zero = 2^(bits-1).
  std::vector<float> sym = {-0.7f, 0.1f, 0.35f};
  g = awq_quantize_group(sym.data(), 3, 3, false, codes.data());
  CHECK(g.zero == 4.0f);
  CHECK(g.scale == Approx(0.7f / 3.0f));
  for (int i = 0; i < 3; ++i) CHECK(sym[static_cast<std::size_t>(i)] == (static_cast<float>(codes[static_cast<std::size_t>(i)]) - 4.0f) * g.scale);
  CHECK(codes[0] == 1);  // -0.7 / (0.7/3) = -3 -> code 1
}

TEST_CASE("awq beats plain grouped RTN in output error at 3 and 4 bits on inputs with salient channels", "[awq]") {
  const layer_case c = quant_test::make_case(64, 256, 4, 160, 11);
  for (int bits : {3, 4}) {
    const awq_run r = run_awq(c, params_of(awq_map(bits, 64)));
    const double awq_error = quant_test::output_error(c, r.weight);
    const double rtn_error = quant_test::output_error(c, plain_rtn(c, bits, 64));
    INFO("bits " << bits << ": awq " << awq_error << " rtn " << rtn_error << " (" << r.out.notes << ")");
    CHECK(awq_error < 0.9 * rtn_error);
  }
}

TEST_CASE("awq scale search: the loss grid, its first strict minimum and the normalised scales", "[awq]") {
  const layer_case c = quant_test::make_case(48, 128, 3, 100, 5);
  const kick::layer_stats st = c.stats();
  std::vector<float> w = c.weight;
  const auto p = params_of(awq_map(3, 32));
  auto choice = kick::methods::awq_search_scales(as_matrix(w, c.n_out, c.n_in), st.inputs, st.n_input_rows, st.input_abs_mean, p);
  REQUIRE(choice.has_value());
  REQUIRE(choice->losses.size() == 20);
  for (double l : choice->losses) CHECK(std::isfinite(l));
  const auto best = static_cast<std::size_t>(choice->best);
  for (std::size_t k = 0; k < choice->losses.size(); ++k) {
    if (k < best) CHECK(choice->losses[k] > choice->losses[best]);   // strictly worse before the choice
    if (k > best) CHECK(choice->losses[k] >= choice->losses[best]);  // never better after it
  }
  // Ratio 0 is s = 1: its loss is plain grouped RTN's mean squared output error.
  const double rtn_mse = quant_test::output_error(c, plain_rtn(c, 3, 32)) / static_cast<double>(c.n_tokens * c.n_out);
  CHECK(choice->losses[0] == Approx(rtn_mse).epsilon(1e-4));
  // Salient channels pay off: the chosen ratio is not 0 and beats it.
  CHECK(choice->best > 0);
  // s = clamp(x_max^ratio, 1e-4) / sqrt(max * min): max(s) * min(s) = 1, order of x_max kept.
  const std::vector<float>& s = choice->scales;
  const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
  CHECK(static_cast<double>(*lo) * *hi == Approx(1.0).epsilon(1e-5));
  const double ratio = static_cast<double>(choice->best) / 20.0;
  for (std::int64_t j = 0; j < c.n_in; ++j) {
    CHECK(s[static_cast<std::size_t>(j)] > 0.0f);
    CHECK(static_cast<double>(s[static_cast<std::size_t>(j)]) / s[0] ==
          Approx(std::pow(static_cast<double>(st.input_abs_mean[j]) / st.input_abs_mean[0], ratio)).epsilon(1e-4));
  }
  for (std::int64_t i : c.salient) CHECK(s[static_cast<std::size_t>(i)] > 1.0f);
}

TEST_CASE("awq layout: the grid of every group, input_scale = s, densify reproduces the method's weight", "[awq]") {
  const layer_case c = quant_test::make_case(32, 128, 2, 128, 7);
  for (bool zero_point : {true, false}) {
    for (std::int64_t group : {std::int64_t{32}, std::int64_t{-1}}) {
      INFO("zero_point " << zero_point << " group " << group);
      const auto p = params_of(awq_map(4, group, zero_point));
      const awq_run r = run_awq(c, p);
      const auto* l = std::get_if<kick::group_quant_layout>(&r.out.layout);
      REQUIRE(l != nullptr);
      const std::int64_t gs = group == -1 ? c.n_in : group;
      CHECK(l->bits == 4);
      CHECK(l->group_size == gs);
      CHECK(l->n_groups == c.n_in / gs);
      REQUIRE(l->input_scale.size() == static_cast<std::size_t>(c.n_in));
      CHECK(quant_test::densify(r.out.layout, c.n_out, c.n_in) == r.weight);
      // The search's scales, recomputed independently of the compress path.
      std::vector<float> w = c.weight;
      const kick::layer_stats st = c.stats();
      auto choice = kick::methods::awq_search_scales(as_matrix(w, c.n_out, c.n_in), st.inputs, st.n_input_rows, st.input_abs_mean, p);
      REQUIRE(choice.has_value());
      CHECK(l->input_scale == choice->scales);
      for (std::int64_t row = 0; row < c.n_out; ++row) {
        for (std::int64_t g = 0; g < l->n_groups; ++g) {
          const float scale = l->scales[static_cast<std::size_t>(row * l->n_groups + g)];
          const float zero = l->zeros[static_cast<std::size_t>(row * l->n_groups + g)];
          CHECK(scale > 0.0f);
          CHECK(zero == std::nearbyint(zero));
          std::uint32_t lowest = 15;
          for (std::int64_t col = g * gs; col < (g + 1) * gs; ++col) lowest = std::min(lowest, kick::quant_code(*l, row, col));
          if (zero_point) {
            CHECK(zero >= 0.0f);
            CHECK(zero <= 15.0f);
            // The group minimum sits on code 0 unless the zero point was clamped.
            if (zero > 0.0f && zero < 15.0f) CHECK(lowest == 0);
          } else {
            CHECK(zero == 8.0f);  // signed grid: codes 0..15 stand for -8..7
            CHECK(lowest >= 1);   // |q| <= 7 from an absmax grid
          }
        }
      }
    }
  }
}

TEST_CASE("awq clip search: clipping never raises the layer's output error, skipped for q/k projections", "[awq]") {
  const layer_case c = quant_test::make_case(40, 128, 2, 200, 21);
  const auto p = params_of(awq_map(3, 32));
  const awq_run down = run_awq(c, p, "layers.1.mlp.down_proj");
  const awq_run q = run_awq(c, p, "layers.1.self_attn.q_proj");
  const awq_run k = run_awq(c, p, "layers.1.self_attn.k_proj");
  const awq_run v = run_awq(c, p, "layers.1.self_attn.v_proj");
  CHECK(kick::methods::awq_clips_layer("layers.1.self_attn.v_proj"));
  CHECK_FALSE(kick::methods::awq_clips_layer("layers.1.self_attn.q_proj"));
  CHECK(q.weight == k.weight);
  CHECK(down.weight == v.weight);
  CHECK(q.weight != down.weight);
  CHECK(quant_test::output_error(c, down.weight) <= quant_test::output_error(c, q.weight));
  // Step 0 of the search is no clipping, so the chosen max_val never exceeds the group's max |w|.
  std::vector<float> ws = c.weight;
  std::vector<float> xs = c.inputs;
  const auto max_val = kick::methods::awq_search_clip(ws.data(), c.n_out, c.n_in, xs.data(), c.n_tokens, p);
  REQUIRE(max_val.size() == static_cast<std::size_t>(c.n_out * 4));
  std::int64_t clipped = 0;
  for (std::int64_t r = 0; r < c.n_out; ++r)
    for (std::int64_t g = 0; g < 4; ++g) {
      float m = 0.0f;
      for (std::int64_t j = 0; j < 32; ++j) m = std::max(m, std::fabs(ws[static_cast<std::size_t>(r * c.n_in + g * 32 + j)]));
      const float chosen = max_val[static_cast<std::size_t>(r * 4 + g)];
      CHECK(chosen <= m);
      CHECK(chosen >= m * 0.55f * (1 - 1e-6f));  // at most 9 shrink steps of 1/20
      clipped += chosen < m ? 1 : 0;
    }
  CHECK(clipped > 0);
  CHECK(kick::methods::awq_clip_token_stride(100) == 1);  // the reference's n_tok // 512 would be 0
  CHECK(kick::methods::awq_clip_token_stride(1600) == 3);
}

TEST_CASE("awq runs with fewer than 512 calibration tokens and is deterministic", "[awq]") {
  const layer_case c = quant_test::make_case(16, 64, 2, 50, 3);
  const auto p = params_of(awq_map(4, 32));
  const awq_run a = run_awq(c, p);
  const awq_run b = run_awq(c, p);
  CHECK(a.weight == b.weight);
  const auto& la = std::get<kick::group_quant_layout>(a.out.layout);
  const auto& lb = std::get<kick::group_quant_layout>(b.out.layout);
  CHECK(la.packed == lb.packed);
  CHECK(la.scales == lb.scales);
  CHECK(la.zeros == lb.zeros);
  CHECK(la.input_scale == lb.input_scale);
}

TEST_CASE("awq refuses bad parameters, a non-dividing group size, missing or non-finite statistics", "[awq]") {
  auto refused = [](const kick::param_map& m, const char* name) {
    auto p = kick::methods::parse_awq_params(m);
    REQUIRE_FALSE(p.has_value());
    INFO(p.error().message());
    CHECK(p.error().message().find(name) != std::string::npos);
  };
  refused(awq_map(1), "bits");
  refused(awq_map(9), "bits");
  refused(awq_map(4, 0), "group_size");
  refused(awq_map(4, -2), "group_size");
  refused(awq_map(4, 128, true, 0), "n_grid");
  refused(awq_map(4, 128, true, 20, 1.0), "max_shrink");
  refused(awq_map(4, 128, true, 20, -0.1), "max_shrink");

  layer_case c = quant_test::make_case(8, 96, 1, 16, 1);
  std::vector<float> w = c.weight;
  auto out = kick::methods::awq_compress(kick::layer_info{k_down, 0}, as_matrix(w, 8, 96), c.stats(), params_of(awq_map(4, 64)));
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message().find("96") != std::string::npos);
  out = kick::methods::awq_compress(kick::layer_info{k_down, 0}, as_matrix(w, 8, 96), kick::layer_stats{}, params_of(awq_map(4, 32)));
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().code() == kick::status_code::failed_precondition);
  w[5] = std::nanf("");
  out = kick::methods::awq_compress(kick::layer_info{k_down, 0}, as_matrix(w, 8, 96), c.stats(), params_of(awq_map(4, 32)));
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message().find("weight") != std::string::npos);
}
