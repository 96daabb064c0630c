// Every in-tree method plugin runs from a run-manifest on the project's own test model
// (kickworld) and on the stories260K fixture, and reports its format, sparsity and bits per layer.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace {

using kick::test::read_file;
using kick::test::run_kickhost;
using kick::test::write_file;

struct expected_method {
  const char* label;
  const char* table;       // the [[compress]] entry without its calibration
  bool calibrated;
  const char* format;      // every layer's format
  double sparsity_min, sparsity_max;
  double bits_min, bits_max;
};

// Expectations follow from each method's definition: pruning at 50 % or 2:4, quantization at 4 or 8
// bits plus its scales (int8: up to 40 bits when every input column is an outlier kept in f32; this
// small model's activations often pass 6.0). Rounding to a grid zeroes some weights (sparsity <= 0.5).
const expected_method k_methods[] = {
    {"magnitude", "method = \"magnitude\"\nsparsity = 0.5\n", false, "sparse-bitmap", 0.5, 0.5005, 16.0, 32.0},
    {"wanda", "method = \"wanda\"\npattern = \"2:4\"\n", true, "sparse-nm", 0.5, 0.5, 16.0, 20.0},
    {"sparsegpt", "method = \"sparsegpt\"\nsparsity = 0.5\n", true, "sparse-bitmap", 0.5, 0.51, 16.0, 32.0},
    {"gptq", "method = \"gptq\"\nbits = 4\ngroup_size = 32\n", true, "quant-group", 0.0, 0.5, 4.0, 6.5},
    {"rtn", "method = \"rtn\"\nbits = 4\n", false, "quant-group", 0.0, 0.5, 4.0, 5.0},
    {"awq", "method = \"awq\"\nbits = 4\ngroup_size = 32\n", true, "quant-group", 0.0, 0.5, 4.0, 11.0},
    {"nf4", "method = \"nf4\"\n", false, "nf4", 0.0, 0.5, 4.0, 5.0},
    {"int8", "method = \"int8\"\n", true, "int8-outlier", 0.0, 0.5, 8.0, 40.0},
};

// AWQ draws "blocks" (short documents concatenated): it needs more documents than the window
// samplers, or windows when the calibration text has no paragraphs (`awq_calibration`).
std::string manifest(const std::filesystem::path& model, const std::filesystem::path& tokenizer, const std::filesystem::path& calibration,
                     const std::filesystem::path& text, std::int64_t seqlen, const std::string& awq_calibration) {
  std::string m = "[model]\npath = \"" + model.string() + "\"\n";
  if (!tokenizer.empty()) m += "tokenizer = \"" + tokenizer.string() + "\"\n";
  m += "[backend]\nname = \"cpu\"\nthreads = 1\n";
  for (const expected_method& e : k_methods) {
    m += std::string("[[compress]]\nlabel = \"") + e.label + "\"\n" + e.table;
    if (e.calibrated) {
      m += "[compress.calibration]\ndata = \"" + calibration.string() + "\"\nseqlen = " + std::to_string(seqlen) + "\n";
      m += std::string(e.label) == "awq" ? awq_calibration : std::string("nsamples = 4\n");
    }
  }
  m += "[[task]]\nname = \"perplexity\"\ndataset = \"" + text.string() + "\"\nseqlen = " + std::to_string(seqlen) + "\nlimit = 2\n";
  return m;
}

void check_variants(const std::filesystem::path& out, const std::string& dense_ppl_note) {
  for (const expected_method& e : k_methods) {
    INFO("method " << e.label << dense_ppl_note);
    const auto doc = nlohmann::json::parse(read_file(out / e.label / "results.json"));
    const auto& c = doc["compression"];
    CHECK(c["method"] == e.label);
    CHECK(c["calibration"].is_null() != e.calibrated);
    REQUIRE(c["per_layer"].size() >= 7);
    for (const auto& layer : c["per_layer"]) {
      INFO(layer.dump());
      CHECK(layer["format"] == e.format);
      CHECK(layer["achieved_sparsity"].get<double>() >= e.sparsity_min);
      CHECK(layer["achieved_sparsity"].get<double>() <= e.sparsity_max);
      CHECK(layer["bits_per_weight"].get<double>() >= e.bits_min);
      CHECK(layer["bits_per_weight"].get<double>() <= e.bits_max);
    }
    const double ppl = doc["results"]["perplexity"]["ppl,none"].get<double>();
    CHECK(std::isfinite(ppl));
  }
}

}  // namespace

TEST_CASE("every method compresses kickworld from a run-manifest", "[e2e][compress][methods]") {
  const auto dir = kick::test::scratch_dir("all-methods-kickworld");
  const auto data = kick::test::source_dir() / "data" / "kickworld";
  write_file(dir / "run.toml", manifest(data / "model", {}, data / "calibration" / "kickworld-calibration.txt",
                                        data / "eval" / "perplexity" / "kickworld-heldout.txt", 128, "nsamples = 64\n"));
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_variants(dir / "out", "");
}

TEST_CASE("every method compresses stories260K from a run-manifest", "[e2e][compress][methods][fixture]") {
  KICK_REQUIRE_FIXTURE(model, "stories260K/stories260K.bin");
  KICK_REQUIRE_FIXTURE(tokenizer, "stories260K/tok512.bin");
  const auto dir = kick::test::scratch_dir("all-methods-stories");
  const auto text = kick::test::source_dir() / "data" / "little-stories.txt";
  // stories260K's down_proj has 172 inputs, which 32 does not divide: one group per row (gptq, awq) here.
  std::string m = manifest(model, tokenizer, text, text, 64, "nsamples = 4\nsampling = \"windows\"\n");
  for (std::size_t at = m.find("group_size = 32"); at != std::string::npos; at = m.find("group_size = 32")) m.replace(at, 15, "group_size = -1");
  write_file(dir / "run.toml", m);
  const auto r = run_kickhost({"run", (dir / "run.toml").string(), "--out", (dir / "out").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  check_variants(dir / "out", " (stories260K)");
}
