// `kickhost bench` end to end, kept tiny: one run of a few tokens on stories260K.
#include <catch2/catch.hpp>

#include <cstdio>

#include "support/test_support.h"

namespace kick::test {
namespace {

TEST_CASE("kickhost bench reports prefill and decode speed of stories260K", "[backend][cli][fixture]") {
  KICK_REQUIRE_FIXTURE(model_path, "stories260K/stories260K.bin");
  const command_result r = run_kickhost({"bench", "--model", model_path.string(), "--synthetic-layers", "0", "--runs", "1",
                                         "--prefill-tokens", "5", "--decode-tokens", "3", "--threads", "1"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("machine: cpu: 1 thread") != std::string::npos);
  CHECK(r.out.find("decode GB/s") != std::string::npos);
  CHECK(r.out.find("stories260K.bin") != std::string::npos);
  CHECK(r.out.find("synthetic") == std::string::npos);
  CHECK(r.err.find("bench: stories260K.bin: run 1/1") != std::string::npos);
}

TEST_CASE("kickhost bench measures a make-model directory without a tokenizer, with load time and peak RSS", "[backend][cli]") {
  const auto model = scratch_dir("bench-make-model") / "tiny";
  REQUIRE(run_kickhost({"make-model", "--preset", "tiny", "--out", model.string()}).exit_code == 0);
  const command_result r = run_kickhost({"bench", "--model", model.string(), "--synthetic-layers", "0", "--runs", "1",
                                         "--prefill-tokens", "4", "--decode-tokens", "2", "--threads", "1"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("load s") != std::string::npos);
  CHECK(r.out.find("peak RSS MiB") != std::string::npos);
  // "peak RSS (whole process, getrusage): X MiB of Y MiB physical memory" with 0 < X < Y.
  const std::size_t at = r.out.find("getrusage): ");
  REQUIRE(at != std::string::npos);
  double peak_mib = 0, total_mib = 0;
  REQUIRE(std::sscanf(r.out.c_str() + at, "getrusage): %lf MiB of %lf MiB", &peak_mib, &total_mib) == 2);
  CHECK(peak_mib > 0.0);
  CHECK(peak_mib < total_mib);
}

TEST_CASE("kickhost bench rejects bad options", "[backend][cli]") {
  const command_result dtype = run_kickhost({"bench", "--dtype", "q4_k", "--synthetic-layers", "1"});
  CHECK(dtype.exit_code == 2);
  CHECK(dtype.err.find("q4_k") != std::string::npos);
  const command_result runs = run_kickhost({"bench", "--runs", "0"});
  const command_result nothing = run_kickhost({"bench", "--model", "none", "--synthetic-layers", "0"});
  CHECK(nothing.exit_code == 2);
  CHECK(nothing.err.find("nothing to measure") != std::string::npos);
  CHECK(runs.exit_code == 2);
  CHECK(runs.err.find("--runs 0") != std::string::npos);
  const command_result dir = run_kickhost({"bench", "--plugin-dir", "/nonexistent-kick-plugins", "--model", "none", "--synthetic-layers", "1"});
  CHECK(dir.exit_code != 0);
  CHECK(dir.err.find("/nonexistent-kick-plugins") != std::string::npos);
  const command_result param = run_kickhost({"bench", "--model", "none", "--synthetic-layers", "1", "--set", "thread=1"});
  CHECK(param.exit_code == 2);
  CHECK(param.err.find("did you mean 'threads'") != std::string::npos);
  const command_result backend = run_kickhost({"bench", "--model", "none", "--backend", "cpux"});
  CHECK(backend.exit_code == 2);
  CHECK(backend.err.find("unknown backend plugin 'cpux'") != std::string::npos);
}

}  // namespace
}  // namespace kick::test
