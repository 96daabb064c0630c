// Not a conformance test: times the linear kernels of each format on a 4096 x 4096 weight
// (hidden; run with `test_vulkan "[linear-bench]"`) to tune workgroup shapes. Prints the median
// of 5 timed submissions and the weight bytes read per second.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kick/convert.h"
#include "kick/format_codec.h"
#include "linear_test_support.h"

using namespace kick;

namespace {

double median_seconds(test::vulkan_env& env, const vk::device_linear& w, std::uint32_t n_tokens) {
  vk::descriptor_arena arena(*env.device);
  auto stream = vk::command_stream::create(*env.device);
  REQUIRE(stream);
  auto x = env.pool->allocate(static_cast<std::uint64_t>(w.n_cols()) * n_tokens * 4, vk::memory_kind::device, "x");
  auto y = env.pool->allocate(static_cast<std::uint64_t>(w.n_rows()) * n_tokens * 4, vk::memory_kind::device, "y");
  REQUIRE(x);
  REQUIRE(y);
  vk::op_context ctx{*env.device, *env.pipelines, arena, **stream, *x};
  std::vector<double> times;
  for (int i = 0; i < 6; ++i) {
    REQUIRE((*stream)->begin().ok());
    (*stream)->timestamp(0);
    REQUIRE(vk::record_linear(ctx, w, *x, static_cast<std::uint32_t>(w.n_cols()), *y, static_cast<std::uint32_t>(w.n_rows()), n_tokens).ok());
    (*stream)->timestamp(1);
    REQUIRE((*stream)->submit_and_wait().ok());
    arena.reset();
    auto s = (*stream)->elapsed_seconds(0, 1);
    REQUIRE(s);
    if (i > 0) times.push_back(*s);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void report(test::vulkan_env& env, const vk::device_linear& w, std::uint32_t n_tokens) {
  const double s = median_seconds(env, w, n_tokens);
  std::printf("%-28s %3u tokens %9.3f ms %8.2f GB/s %8.2f GFLOP/s\n", w.format_name().c_str(), n_tokens, s * 1e3,
              static_cast<double>(w.bytes()) / s * 1e-9, 2.0 * static_cast<double>(w.n_rows() * w.n_cols()) * n_tokens / s * 1e-9);
}

}  // namespace

TEST_CASE("vulkan linear: kernel timings on 4096 x 4096", "[.][linear-bench]") {
  KICK_REQUIRE_VULKAN(env);
  const std::int64_t n = 4096;
  std::vector<float> dense = test::random_values(static_cast<std::size_t>(n * n), 5);
  std::vector<std::uint16_t> halves(dense.size());
  quantize_row(dtype::f16, dense.data(), halves.data(), n * n);
  const tensor_view f16 = make_contiguous_view(dtype::f16, halves.data(), n, n);
  for (std::size_t i = 0; i < dense.size(); i += 4) dense[i + 1] = dense[i + 3] = 0.0f;  // 2:4
  auto nm = encode_nm(matrix_f32{dense.data(), n, n, n}, 2, 4);
  REQUIRE(nm);
  const compressed_weight nm_w{n, n, *nm};
  const compressed_weight bitmap_w{n, n, encode_bitmap(matrix_f32{dense.data(), n, n, n})};
  group_quant_layout gq;
  gq.bits = 4;
  gq.group_size = 128;
  gq.words_per_row = quant_words_per_row(n, 4);
  gq.n_groups = n / 128;
  gq.packed.assign(static_cast<std::size_t>(n * gq.words_per_row), 0x9a3c71e5u);
  gq.scales.assign(static_cast<std::size_t>(n * gq.n_groups), 0.01f);
  gq.zeros.assign(gq.scales.size(), 8.0f);
  const compressed_weight gq_w{n, n, gq};
  nf4_layout nf4;
  nf4.codes.assign(static_cast<std::size_t>(n * n / 2), 0x5a);
  nf4.absmax.assign(static_cast<std::size_t>(n * n / 64), 0.5f);
  const compressed_weight nf4_w{n, n, nf4};

  test::linear_rig rig(env);
  const std::vector<vk::device_linear> weights = [&] {
    std::vector<vk::device_linear> w;
    w.push_back(rig.upload(linear_weight{&f16, nullptr}));
    w.push_back(rig.upload(linear_weight{nullptr, &nm_w}));
    w.push_back(rig.upload(linear_weight{nullptr, &nm_w}, 0, vk::value_type::f16));
    w.push_back(rig.upload(linear_weight{nullptr, &bitmap_w}, 0, vk::value_type::f16));
    w.push_back(rig.upload(linear_weight{nullptr, &gq_w}));
    w.push_back(rig.upload(linear_weight{nullptr, &nf4_w}));
    return w;
  }();
  const char* only = std::getenv("KICK_LINEAR_BENCH_TOKENS");
  const std::vector<std::uint32_t> tokens = only != nullptr ? std::vector<std::uint32_t>{static_cast<std::uint32_t>(std::atoi(only))}
                                                            : std::vector<std::uint32_t>{1, 8, 64};
  for (const vk::device_linear& w : weights)
    for (std::uint32_t t : tokens) report(env, w, t);
}
