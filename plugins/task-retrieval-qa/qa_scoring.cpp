#include "qa_scoring.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "python_text.h"
#include "text_normalize.h"

namespace kick::retrieval {
namespace {

// Scores on already normalised strings.
bool lenient_normalized(std::string_view prediction, std::string_view gold) {
  return prediction.find(gold) != std::string_view::npos || gold.find(prediction) != std::string_view::npos;
}

double f1_normalized(const std::vector<std::string>& prediction_tokens, std::string_view gold) {
  const std::vector<std::string> gold_tokens = text::python_split(gold);
  std::map<std::string_view, std::int64_t> gold_counts;
  for (const std::string& t : gold_tokens) ++gold_counts[t];
  std::int64_t n_same = 0;
  for (const std::string& t : prediction_tokens) {
    auto it = gold_counts.find(t);
    if (it != gold_counts.end() && it->second > 0) {
      --it->second;
      ++n_same;
    }
  }
  if (n_same == 0) return 0.0;
  const double precision = static_cast<double>(n_same) / static_cast<double>(prediction_tokens.size());
  const double recall = static_cast<double>(n_same) / static_cast<double>(gold_tokens.size());
  return 2.0 * precision * recall / (precision + recall);
}

}  // namespace

bool strict_exact_match(std::string_view prediction, std::string_view gold) {
  return normalize_answer(prediction) == normalize_answer(gold);
}

bool lenient_exact_match(std::string_view prediction, std::string_view gold) {
  return lenient_normalized(normalize_answer(prediction), normalize_answer(gold));
}

double token_f1(std::string_view prediction, std::string_view gold) {
  return f1_normalized(text::python_split(normalize_answer(prediction)), normalize_answer(gold));
}

item_score score_prediction(std::string_view prediction, std::span<const std::string> golds, protocol p) {
  const std::string pred = normalize_answer(prediction);
  const std::vector<std::string> pred_tokens = text::python_split(pred);
  item_score best;
  for (const std::string& raw_gold : golds) {
    const std::string gold = normalize_answer(raw_gold);
    const bool match = p == protocol::kick ? pred == gold : lenient_normalized(pred, gold);
    if (match) best.exact_match = 1.0;
    best.f1 = std::max(best.f1, f1_normalized(pred_tokens, gold));
  }
  return best;
}

mean_estimate mean_with_standard_error(std::span<const double> values) {
  mean_estimate r;
  if (values.empty()) return r;
  double sum = 0.0;
  for (double v : values) sum += v;
  const auto n = static_cast<double>(values.size());
  r.mean = sum / n;
  if (values.size() < 2) return r;
  double squares = 0.0;
  for (double v : values) squares += (v - r.mean) * (v - r.mean);
  r.standard_error = std::sqrt(squares / (n - 1.0) / n);
  return r;
}

}  // namespace kick::retrieval
