// `kickhost compress-layer` input handling: every bad input is a clear error naming the file and
// the tensor, and a good run writes the densified result, the bias and the layout's tensors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/model/safetensors_file.h"
#include "core/model/safetensors_writer.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;

// rtn needs no statistics and is quick; the input checks come before the method runs anyway.
bool have_rtn() {
  if (fs::exists(kick::test::plugin_dir() / "method-rtn.toml")) return true;
  kick::test::skip("method plugin 'rtn' is not in this build: compress-layer input checks did not run");
  return false;
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(0.37f * static_cast<float>(i)) * 0.1f;
  return v;
}

void write_tensors(const fs::path& path, const std::vector<kick::safetensors_out_tensor>& tensors) {
  REQUIRE(kick::write_safetensors(path, tensors, {}).ok());
}

kick::test::command_result compress_layer(const fs::path& weight, const fs::path& inputs, const fs::path& out) {
  return kick::test::run_kickhost({"compress-layer", "--method", "rtn", "--set", "bits=4", "--weight", weight.string(), "--inputs",
                                   inputs.string(), "--out", out.string()});
}

}  // namespace

TEST_CASE("compress-layer refuses bad weight and input files, naming the file and tensor", "[compress-layer]") {
  if (!have_rtn()) return;
  const auto dir = kick::test::scratch_dir("compress-layer-bad");
  const std::vector<float> w = ramp(8 * 16), x = ramp(2 * 5 * 16), x_wide = ramp(2 * 5 * 12);
  const std::vector<std::int32_t> ints(2 * 5 * 16, 1);
  write_tensors(dir / "w.safetensors", {kick::make_out_tensor("weight", "F32", {8, 16}, w)});
  write_tensors(dir / "x.safetensors", {kick::make_out_tensor("inputs", "F32", {2, 5, 16}, x)});
  const fs::path out = dir / "out.safetensors";

  struct bad_case {
    const char* what;
    std::vector<kick::safetensors_out_tensor> weight_file, inputs_file;
    std::vector<std::string> expected;  // substrings of the error
  };
  const std::vector<float> bias16(16, 0.5f);
  std::vector<float> w_nan = w;
  w_nan[5] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<bad_case> cases = {
      {"no weight tensor", {kick::make_out_tensor("w", "F32", {8, 16}, w)}, {}, {"wbad.safetensors", "no tensor 'weight'"}},
      {"weight of rank 3", {kick::make_out_tensor("weight", "F32", {2, 4, 16}, w)}, {}, {"wbad.safetensors", "'weight'", "rank 3"}},
      {"weight with a NaN", {kick::make_out_tensor("weight", "F32", {8, 16}, w_nan)}, {}, {"'weight'", "NaN"}},
      {"bias of the wrong length", {kick::make_out_tensor("weight", "F32", {8, 16}, w), kick::make_out_tensor("bias", "F32", {16}, bias16)}, {},
       {"'bias'", "16 entries", "8 rows"}},
      {"no inputs tensor", {}, {kick::make_out_tensor("x", "F32", {2, 5, 16}, x)}, {"xbad.safetensors", "no tensor 'inputs'"}},
      {"inputs of rank 2", {}, {kick::make_out_tensor("inputs", "F32", {10, 16}, x)}, {"xbad.safetensors", "'inputs'", "rank 2"}},
      {"integer inputs", {}, {kick::make_out_tensor("inputs", "I32", {2, 5, 16}, ints)}, {"'inputs'", "dtype I32", "F32"}},
      {"inputs narrower than the weight", {}, {kick::make_out_tensor("inputs", "F32", {2, 5, 12}, x_wide)},
       {"xbad.safetensors", "'inputs'", "12 input features", "'weight'", "16 columns"}},
  };
  for (const bad_case& c : cases) {
    INFO(c.what);
    fs::path weight = dir / "w.safetensors", inputs = dir / "x.safetensors";
    if (!c.weight_file.empty()) write_tensors(weight = dir / "wbad.safetensors", c.weight_file);
    if (!c.inputs_file.empty()) write_tensors(inputs = dir / "xbad.safetensors", c.inputs_file);
    const auto r = compress_layer(weight, inputs, out);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    for (const std::string& e : c.expected) CHECK(r.err.find(e) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  }

  // A file that is not safetensors at all, and one that does not exist.
  kick::test::write_file(dir / "junk.safetensors", "not a safetensors file");
  auto r = compress_layer(dir / "junk.safetensors", dir / "x.safetensors", out);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("junk.safetensors") != std::string::npos);
  r = compress_layer(dir / "w.safetensors", dir / "missing.safetensors", out);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("missing.safetensors") != std::string::npos);
  // A bad method parameter is refused by name before any file is read.
  r = kick::test::run_kickhost({"compress-layer", "--method", "rtn", "--set", "bits=1", "--weight", (dir / "absent").string(),
                                "--inputs", (dir / "absent").string(), "--out", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("bits") != std::string::npos);
  CHECK(r.err.find("absent") == std::string::npos);
}

TEST_CASE("compress-layer writes the densified result, the bias and the layout tensors", "[compress-layer]") {
  if (!have_rtn()) return;
  const auto dir = kick::test::scratch_dir("compress-layer-good");
  const std::vector<float> w = ramp(8 * 16), bias = {1, 2, 3, 4, 5, 6, 7, 8}, x = ramp(3 * 4 * 16);
  write_tensors(dir / "w.safetensors", {kick::make_out_tensor("weight", "F32", {8, 16}, w), kick::make_out_tensor("bias", "F32", {8}, bias)});
  write_tensors(dir / "x.safetensors", {kick::make_out_tensor("inputs", "F32", {3, 4, 16}, x)});
  const auto r = kick::test::run_kickhost({"compress-layer", "--method", "rtn", "--set", "bits=3", "--weight", (dir / "w.safetensors").string(),
                                           "--inputs", (dir / "x.safetensors").string(), "--out", (dir / "out.safetensors").string(),
                                           "--layer-name", "layers.3.self_attn.o_proj"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("quant-group") != std::string::npos);
  auto out = kick::safetensors_file::open(dir / "out.safetensors");
  REQUIRE(out.has_value());
  const auto* weight = out->find("weight");
  const auto* b = out->find("bias");
  REQUIRE(weight != nullptr);
  REQUIRE(b != nullptr);
  CHECK(weight->shape == std::vector<std::int64_t>{8, 16});
  std::vector<float> got(8);
  std::memcpy(got.data(), b->data, sizeof(float) * 8);
  CHECK(got == bias);
  CHECK(out->find("layers.3.self_attn.o_proj.qweight") != nullptr);
  CHECK(out->find("layers.3.self_attn.o_proj.scales") != nullptr);
  const auto about = nlohmann::json::parse(out->metadata().at("kick.compression"));
  CHECK(about["method"] == "rtn");
  CHECK(about["params"]["bits"] == 3);
  CHECK(about["layer"] == "layers.3.self_attn.o_proj");
  // 3-bit RTN puts every row on at most 8 levels, and changes the weights.
  std::vector<float> values(8 * 16);
  std::memcpy(values.data(), weight->data, sizeof(float) * values.size());
  CHECK(values != w);
  for (int row = 0; row < 8; ++row) {
    std::vector<float> levels(values.begin() + row * 16, values.begin() + row * 16 + 16);
    std::sort(levels.begin(), levels.end());
    CHECK(std::unique(levels.begin(), levels.end()) - levels.begin() <= 8);
  }
}
