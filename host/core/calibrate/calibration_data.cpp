#include "core/calibrate/calibration_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace kick {

namespace {

// Uniform integer in [lo, hi] from the seeded engine (a fixed formula, portable across standard
// libraries, unlike std::uniform_int_distribution).
std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(rng() % span);
}

}  // namespace

result<std::vector<std::string>> read_calibration_documents(const std::filesystem::path& file, bool one_document_per_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(status_code::not_found, fmt::format("calibration data '{}' cannot be read", file.string()));
  std::vector<std::string> documents;
  if (file.extension() == ".jsonl") {
    std::string line;
    std::int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("text") || !doc["text"].is_string()) {
        return fail(status_code::invalid_argument,
                    fmt::format("calibration data '{}' line {}: expected a JSON object with a string \"text\"", file.string(), line_number));
      }
      documents.push_back(doc["text"].get<std::string>());
    }
  } else if (one_document_per_line) {
    // Paragraphs: runs of non-blank lines, separated by blank lines.
    std::string line, paragraph;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        if (!paragraph.empty()) documents.push_back(std::move(paragraph));
        paragraph.clear();
        continue;
      }
      if (!paragraph.empty()) paragraph += '\n';
      paragraph += line;
    }
    if (!paragraph.empty()) documents.push_back(std::move(paragraph));
  } else {
    std::ostringstream all;
    all << in.rdbuf();
    documents.push_back(all.str());
  }
  if (documents.empty()) return fail(status_code::invalid_argument, fmt::format("calibration data '{}' holds no text", file.string()));
  return documents;
}

result<std::vector<std::vector<std::int32_t>>> sample_windows(const std::vector<std::string>& documents, const tokenizer& tok,
                                                              std::int64_t nsamples, std::int64_t seqlen, std::uint64_t seed,
                                                              const std::string& source) {
  // Tokenize lazily (a C4 shard is large; only drawn documents are needed), caching results.
  std::vector<std::vector<std::int32_t>> cache(documents.size());
  std::vector<bool> done(documents.size(), false);
  std::int64_t longest = 0;
  bool any_long_enough = false;
  for (std::size_t d = 0; d < documents.size() && !any_long_enough; ++d) {
    auto ids = tok.encode(documents[d], true);
    if (!ids) return std::unexpected(ids.error().with_context(fmt::format("calibration data '{}'", source)));
    longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(ids->size()));
    any_long_enough = static_cast<std::int64_t>(ids->size()) > seqlen;
    cache[d] = std::move(*ids);
    done[d] = true;
  }
  if (!any_long_enough) {
    return fail(status_code::invalid_argument,
                fmt::format("calibration data '{}': no document is longer than seqlen {} tokens (longest: {}); lower seqlen or "
                            "give longer text",
                            source, seqlen, longest));
  }
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::int32_t>> windows;
  windows.reserve(static_cast<std::size_t>(nsamples));
  while (static_cast<std::int64_t>(windows.size()) < nsamples) {
    const auto d = static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(documents.size()) - 1));
    if (!done[d]) {
      auto ids = tok.encode(documents[d], true);
      if (!ids) return std::unexpected(ids.error().with_context(fmt::format("calibration data '{}'", source)));
      cache[d] = std::move(*ids);
      done[d] = true;
    }
    const auto n = static_cast<std::int64_t>(cache[d].size());
    if (n <= seqlen) continue;
    const std::int64_t start = uniform(rng, 0, n - seqlen - 1);
    windows.emplace_back(cache[d].begin() + start, cache[d].begin() + start + seqlen);
  }
  return windows;
}

result<std::vector<std::vector<std::int32_t>>> sample_blocks(const std::vector<std::string>& documents, const tokenizer& tok,
                                                             std::int64_t nsamples, std::int64_t seqlen, std::uint64_t seed,
                                                             const std::string& source) {
  std::vector<std::size_t> order(documents.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (std::size_t i = order.size(); i > 1; --i) {  // Fisher-Yates with the portable draw
    std::swap(order[i - 1], order[static_cast<std::size_t>(uniform(rng, 0, static_cast<std::int64_t>(i) - 1))]);
  }
  std::vector<std::int32_t> all;
  std::int64_t taken = 0;
  for (std::size_t i : order) {
    if (taken >= nsamples) break;
    if (documents[i].find_first_not_of(" \t\r\n") == std::string::npos) continue;
    auto ids = tok.encode(documents[i], true);
    if (!ids) return std::unexpected(ids.error().with_context(fmt::format("calibration data '{}'", source)));
    if (static_cast<std::int64_t>(ids->size()) > seqlen) continue;
    all.insert(all.end(), ids->begin(), ids->end());
    ++taken;
  }
  const std::int64_t n_blocks = static_cast<std::int64_t>(all.size()) / seqlen;
  if (n_blocks < 1) {
    return fail(status_code::invalid_argument,
                fmt::format("calibration data '{}': {} documents of at most {} tokens give {} tokens, less than one block of {}",
                            source, taken, seqlen, all.size(), seqlen));
  }
  std::vector<std::vector<std::int32_t>> blocks;
  for (std::int64_t b = 0; b < n_blocks; ++b) blocks.emplace_back(all.begin() + b * seqlen, all.begin() + (b + 1) * seqlen);
  return blocks;
}

}  // namespace kick
