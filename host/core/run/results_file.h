// results.json: lm-evaluation-harness's layout plus kick's own blocks (docs/results-schema.md).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kick/status.h"

namespace kick {

// Writes `text` to `path` atomically: a temporary file in the same directory, flushed, then
// renamed over the destination. Creates the directory. Errors name the path.
status write_file_atomically(const std::filesystem::path& path, const std::string& text);

// The lm-eval style table of a results document ("| task | metric | value | stderr |").
std::string format_results_table(const nlohmann::json& results);

// A Markdown table comparing variants (one column each, in order): global sparsity, bits per
// weight, then every aggregate metric (filter "none") of every task of the first variant.
std::string format_comparison_table(const std::vector<std::pair<std::string, const nlohmann::json*>>& variants);

}  // namespace kick
