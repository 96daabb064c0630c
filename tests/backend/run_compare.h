// Running one run-manifest on two backend configurations and comparing what they produced:
// results.json metrics and every samples_*.jsonl row.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kick::test {

// A kickworld run-manifest (data/kickworld) with the given [backend] table body, three
// compression variants (dense, 2:4 magnitude "mag-2of4", int4 RTN g64 "rtn-int4") and four small
// tasks (perplexity, factoid-qa, multiple-choice, retrieval-open).
std::string kickworld_manifest(const std::string& backend_table);

// The variant labels and task aliases of kickworld_manifest.
const std::vector<std::string>& kickworld_variants();
const std::vector<std::string>& kickworld_tasks();

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);

// Every number in `got` within rel_tolerance (relative to max(1, |want|)) of `want`; strings,
// booleans and structure identical. Reports the path of each difference.
void check_same_json(const nlohmann::json& got, const nlohmann::json& want, const std::string& where, double rel_tolerance);

// Compares the results.json metrics and every samples file of two run output folders.
void check_same_runs(const std::filesystem::path& got_dir, const std::filesystem::path& want_dir, double rel_tolerance);

}  // namespace kick::test
