// The common pruning parameters: refused in create() (parse_*_params) before any work, with the
// parameter named and the accepted range; and through kickhost, the manifests' own checks.
#include <catch2/catch.hpp>

#include "magnitude.h"
#include "pruning_fixture.h"
#include "support/test_support.h"
#include "wanda.h"

using namespace pruning_test;

namespace {

template <class Parse>
std::string refusal(Parse parse, const kick::param_map& p) {
  auto r = parse(p);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == kick::status_code::invalid_argument);
  return r.error().message();
}

}  // namespace

TEST_CASE("magnitude and wanda refuse bad sparsity and patterns, naming them", "[pruning][params]") {
  auto magnitude = [](const kick::param_map& p) { return kick::methods::parse_magnitude_params(p); };
  auto wanda = [](const kick::param_map& p) { return kick::methods::parse_wanda_params(p); };
  for (double s : {-0.1, 1.0, 1.5, std::nan("")}) {
    INFO("sparsity " << s);
    CHECK_THAT(refusal(magnitude, params(s, "unstructured")), Catch::Contains("sparsity") && Catch::Contains("[0, 1)"));
    CHECK_THAT(refusal(wanda, params(s, "unstructured")), Catch::Contains("sparsity") && Catch::Contains("[0, 1)"));
  }
  CHECK_THAT(refusal(magnitude, params(0.5, "5:4")), Catch::Contains("pattern '5:4'") && Catch::Contains("N > M"));
  CHECK_THAT(refusal(wanda, params(0.5, "8:4")), Catch::Contains("pattern '8:4'") && Catch::Contains("N > M"));
  // N:M readings differ unless M = 2N (zero N vs keep N): refused rather than guessed.
  CHECK_THAT(refusal(magnitude, params(0.5, "1:4")), Catch::Contains("M != 2N"));
  CHECK_THAT(refusal(wanda, params(0.5, "3:4")), Catch::Contains("M != 2N"));
  for (const char* text : {"2-4", "", "2:", ":4", "0:0", "2:4:8", "a:b", "64:128", "structured"}) {
    INFO(text);
    CHECK_THAT(refusal(magnitude, params(0.5, text)), Catch::Contains("pattern"));
  }
  CHECK_THAT(refusal(wanda, params(0.5, "2:4", true)), Catch::Contains("use_variant"));

  // Accepted: each pattern's (zeros, width), and sparsity ignored by N:M.
  const auto p = kick::methods::parse_wanda_params(params(0.0, "4:8"));
  REQUIRE(p.has_value());
  CHECK((p->pattern.structured && p->pattern.n == 4 && p->pattern.m == 8));
  const auto u = kick::methods::parse_magnitude_params(params(0.0, "unstructured"));
  REQUIRE(u.has_value());
  CHECK_FALSE(u->pattern.structured);
}

TEST_CASE("kickhost compress-layer runs magnitude and wanda and refuses bad values by name", "[pruning][params]") {
  if (!std::filesystem::exists(kick::test::plugin_dir() / "method-wanda.toml")) {
    kick::test::skip("method-wanda is not in this build");
    return;
  }
  const auto data = kick::test::source_dir() / "tests" / "data" / "compress-ref" / "a";
  const auto out = kick::test::scratch_dir("methods-pruning") / "out.safetensors";
  auto run = [&](const std::string& method, const std::string& set) {
    return kick::test::run_kickhost({"compress-layer", "--method", method, "--set", set, "--weight", (data / "weight.safetensors").string(),
                                     "--inputs", (data / "inputs.safetensors").string(), "--out", out.string()});
  };
  for (const char* method : {"magnitude", "wanda"}) {
    INFO(method);
    const auto good = run(method, "pattern=2:4");
    INFO(good.err);
    CHECK(good.exit_code == 0);
    CHECK(std::filesystem::exists(out));
    const auto sparsity = run(method, "sparsity=1.0");  // inside the manifest's range, refused by create()
    CHECK(sparsity.exit_code != 0);
    CHECK_THAT(sparsity.err, Catch::Contains("sparsity"));
    const auto pattern = run(method, "pattern=3:4");  // not one of the manifest's choices
    CHECK(pattern.exit_code != 0);
    CHECK_THAT(pattern.err, Catch::Contains("pattern"));
  }
  const auto variant = run("wanda", "use_variant=yes");
  CHECK(variant.exit_code != 0);
  CHECK_THAT(variant.err, Catch::Contains("use_variant"));
}
