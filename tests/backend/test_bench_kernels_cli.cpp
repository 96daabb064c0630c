// `kickhost bench kernels` and `kickhost devices` end to end, kept tiny: small shapes, one repeat.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "support/test_support.h"

namespace kick::test {
namespace {

bool vulkan_plugin_built() { return std::filesystem::exists(plugin_dir() / "libkick-backend-vulkan.so"); }

TEST_CASE("kickhost bench kernels times every requested format beside the f16 baseline", "[backend][cli]") {
  const auto dir = scratch_dir("bench-kernels");
  std::vector<std::string> args = {"bench", "kernels", "--shapes", "64x96,test", "--tokens", "1,9", "--formats", "2:4,int4-g128,nf4",
                                   "--warmup", "0", "--repeats", "1", "--json", (dir / "k.json").string(), "--backend", "cpu"};
  if (vulkan_plugin_built()) args.insert(args.end(), {"--backend", "vulkan"});
  const command_result r = run_kickhost(args);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  if (r.exit_code != 0 && r.err.find("Vulkan") != std::string::npos) {
    skip("the vulkan backend cannot start here: " + r.err);
    return;
  }
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("measured copy bandwidth") && Catch::Contains("vs f16") && Catch::Contains("FMA peak"));
  const auto doc = nlohmann::json::parse(read_file(dir / "k.json"));
  const std::size_t n_backends = doc["backends"].size();
  REQUIRE(n_backends == (vulkan_plugin_built() ? 2u : 1u));
  for (const auto& b : doc["backends"]) {
    CHECK(b["copy_gb_per_s"].get<double>() > 0.0);
    // The cpu backend names the OpenBLAS kernels its prefill (sgemm) rows ran on.
    if (b["name"] == "cpu") CHECK_THAT(b["device"].get<std::string>(), Catch::Contains(", OpenBLAS ") && Catch::EndsWith(" kernels"));
  }
  // 9 tokens is a matrix product: the cpu's FMA peak is measured and cpu rows compare with it.
  REQUIRE(doc["cpu_fma_peak"].is_object());
  CHECK(doc["cpu_fma_peak"]["gflop_per_s"].get<double>() > 0.1);
  CHECK(std::set<std::string>{"avx512f", "avx2", "scalar"}.contains(doc["cpu_fma_peak"]["isa"].get<std::string>()));
  CHECK(doc["cpu_fma_peak"]["threads"].get<int>() >= 1);
  // 5 shapes x 2 token counts x 4 formats (f16 added) per backend, except int4-g128 needs no
  // particular width and nf4 neither: every combination is there.
  CHECK(doc["rows"].size() == n_backends * 5 * 2 * 4);
  std::set<std::string> formats;
  for (const auto& row : doc["rows"]) {
    formats.insert(row["format"].get<std::string>());
    CHECK(row["median_seconds"].get<double>() > 0.0);
    CHECK(row["weight_bytes"].get<std::int64_t>() > 0);
    if (row["format"] == "f16") CHECK(row["speedup_vs_f16"].get<double>() == 1.0);
    else CHECK(row["speedup_vs_f16"].get<double>() > 0.0);
    if (row["backend"] == "cpu" && row["tokens"] == 9) {
      CHECK(row["fraction_of_fma_peak"].get<double>() ==
            Approx(row["gflop_per_s"].get<double>() / doc["cpu_fma_peak"]["gflop_per_s"].get<double>()));
    } else {
      CHECK(row["fraction_of_fma_peak"].is_null());
    }
    // The vulkan backend stores int4 natively: about 3.4x fewer bytes than f16 (4 bits + f32 scale and zero per 128).
    if (row["backend"] == "vulkan" && row["format"] == "int4-g128" && row["cols"] == 96) {
      CHECK(row["ideal_speedup_vs_f16"].get<double>() > 2.5);
    }
  }
  CHECK(formats == std::set<std::string>{"f16", "2:4", "int4-g128", "nf4"});
}

TEST_CASE("kickhost bench kernels --rounds reports medians over rounds and the median of paired ratios", "[backend][cli]") {
  const auto dir = scratch_dir("bench-kernels-rounds");
  const command_result r = run_kickhost({"bench", "kernels", "--shapes", "96x64", "--tokens", "1", "--formats", "int8-g128,2:4", "--warmup",
                                         "0", "--repeats", "1", "--rounds", "3", "--json", (dir / "k.json").string(), "--backend", "cpu"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("(round 3/3)"));
  const auto doc = nlohmann::json::parse(read_file(dir / "k.json"));
  CHECK(doc["rounds"] == 3);
  REQUIRE(doc["rows"].size() == 3u);
  std::vector<double> f16_rounds;
  for (const auto& row : doc["rows"])
    if (row["format"] == "f16") f16_rounds = row["round_median_seconds"].get<std::vector<double>>();
  REQUIRE(f16_rounds.size() == 3u);
  for (const auto& row : doc["rows"]) {
    INFO(row["format"].get<std::string>());
    auto rounds = row["round_median_seconds"].get<std::vector<double>>();
    REQUIRE(rounds.size() == 3u);
    std::vector<double> ratios;
    for (std::size_t i = 0; i < 3; ++i) ratios.push_back(f16_rounds[i] / rounds[i]);
    std::sort(rounds.begin(), rounds.end());
    std::sort(ratios.begin(), ratios.end());
    CHECK(row["median_seconds"].get<double>() == rounds[1]);
    CHECK(row["min_seconds"].get<double>() <= rounds[0]);
    CHECK(row["speedup_vs_f16"].get<double>() == Approx(ratios[1]));
  }
}

TEST_CASE("kickhost bench kernels says when OPENBLAS_CORETYPE holds sgemm below the CPU's AVX-512", "[backend][cli]") {
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))) {
    skip("this CPU has no AVX-512: OpenBLAS's AVX-512 kernels cannot be forced here");
    return;
  }
  const std::vector<std::string> args = {"bench", "kernels", "--shapes", "32x64", "--tokens", "9", "--formats", "f32",
                                         "--warmup", "0", "--repeats", "1", "--backend", "cpu"};
  {
    const scoped_env avx2("OPENBLAS_CORETYPE", "Haswell");
    const command_result r = run_kickhost(args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("note: OPENBLAS_CORETYPE=Haswell makes OpenBLAS run its Haswell kernels (no AVX-512)"));
    CHECK_THAT(r.out, Catch::Contains("OpenBLAS Haswell kernels"));  // the backend's description
  }
  {
    const scoped_env avx512("OPENBLAS_CORETYPE", "SkylakeX");
    const command_result r = run_kickhost(args);
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, !Catch::Contains("note: OPENBLAS_CORETYPE") && Catch::Contains("OpenBLAS SkylakeX kernels"));
  }
}

TEST_CASE("kickhost bench kernels rejects bad options, naming them", "[backend][cli]") {
  const command_result format = run_kickhost({"bench", "kernels", "--formats", "int5-g7", "--backend", "cpu"});
  CHECK(format.exit_code == 2);
  CHECK_THAT(format.err, Catch::Contains("int5-g7"));
  const command_result shape = run_kickhost({"bench", "kernels", "--shapes", "12by4", "--backend", "cpu"});
  CHECK(shape.exit_code == 2);
  CHECK_THAT(shape.err, Catch::Contains("12by4"));
  const command_result tokens = run_kickhost({"bench", "kernels", "--tokens", "0", "--backend", "cpu"});
  CHECK(tokens.exit_code == 2);
  CHECK_THAT(tokens.err, Catch::Contains("--tokens"));
  const command_result set = run_kickhost({"bench", "kernels", "--set", "threads=1", "--backend", "cpu"});
  CHECK(set.exit_code == 2);
  CHECK_THAT(set.err, Catch::Contains("BACKEND.PARAM=VALUE"));
  const command_result rounds = run_kickhost({"bench", "kernels", "--rounds", "0", "--backend", "cpu"});
  CHECK(rounds.exit_code == 2);
  CHECK_THAT(rounds.err, Catch::Contains("--rounds 0"));
  const command_result backend = run_kickhost({"bench", "kernels", "--backend", "gpux", "--shapes", "8x8"});
  CHECK(backend.exit_code == 2);
  CHECK_THAT(backend.err, Catch::Contains("gpux"));
}

TEST_CASE("kickhost devices lists each backend's devices", "[backend][cli]") {
  const command_result r = run_kickhost({"devices"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK_THAT(r.out, Catch::Contains("cpu:\n  cpu: "));
  if (vulkan_plugin_built()) {
    CHECK_THAT(r.out, Catch::Contains("vulkan:\n"));
    if (r.out.find("(none: ") == std::string::npos) {
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.out, Catch::Contains("  0: ") && Catch::Contains("device-local") && Catch::Contains("subgroup"));
    } else {
      CHECK(r.exit_code == 1);  // no Vulkan driver: said, and a failure
    }
  }
  const command_result only = run_kickhost({"devices", "--backend", "nosuch"});
  CHECK(only.exit_code == 2);
  CHECK_THAT(only.err, Catch::Contains("nosuch"));
}

}  // namespace
}  // namespace kick::test
