// Comparing `kickhost compress-layer` outputs with the Python reference fixtures in
// tests/data/compress-ref (written by tools/compress-ref/make_fixtures.py; cases.json lists them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kick::test {

// One method configuration of one fixture case.
struct reference_config {
  std::string case_name;  // folder under tests/data/compress-ref
  std::string config;     // e.g. "gptq-4bit-g64"
  std::string method;     // kick method plugin name
  std::vector<std::pair<std::string, std::string>> sets;  // --set PARAM=VALUE
  std::filesystem::path file;     // the reference result
  std::filesystem::path weight;   // <case>/weight.safetensors
  std::filesystem::path inputs;   // <case>/inputs.safetensors
  double mask_budget = 0.0;       // allowed fraction of differing mask entries
  double code_budget = 0.0;       // allowed fraction of differing grid indices
};

std::filesystem::path reference_dir();
// Every configuration in cases.json (REQUIREs that the file parses).
std::vector<reference_config> load_reference_configs();

// How a compress-layer output agrees with the reference.
struct comparison {
  std::int64_t n_entries = 0;
  std::string format;                  // the plugin's layout name
  std::int64_t mask_compared = 0;      // 0 when the fixture has no mask
  std::int64_t mask_mismatches = 0;    // entries zero in one result and not the other
  std::int64_t codes_compared = 0;     // 0 when either side has no codes
  std::int64_t code_mismatches = 0;
  std::int64_t codes_excluded = 0;     // entries in the reference's fragile groups (AWQ)
  double relerr_all = 0.0;             // ||a - b|| / ||b|| over every entry
  double relerr_agreeing = 0.0;        // the same over entries whose discrete decisions agree
  double input_scale_relerr = -1.0;    // AWQ's s, when both sides have it
  std::string problem;                 // set when the output could not be read
};

// Reads the reference (`reference_file`) and the compress-layer output (`output_file`,
// whose layout tensors are named `layer_name`.<part>) and compares them.
comparison compare_with_reference(const std::filesystem::path& reference_file, const std::filesystem::path& output_file,
                                  const std::string& layer_name);

}  // namespace kick::test
