// Scoring of one TriviaQA prediction against its gold aliases (research notes: llmkick.md §1.4).
// Every comparison is between normalize_answer()ed strings, as the official script does (gold
// aliases that are already normalised are normalised again; the function is idempotent on them).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kick::retrieval {

enum class protocol { kick, llm_kick_code };

// Official TriviaQA exact match: normalize(prediction) == normalize(gold).
bool strict_exact_match(std::string_view prediction, std::string_view gold);

// LLM-KICK's main_icrqa.py exact match: normalize(gold) in normalize(prediction) or
// normalize(prediction) in normalize(gold) (substring tests on characters). An empty normalised
// prediction is a substring of every gold, so it counts as correct.
bool lenient_exact_match(std::string_view prediction, std::string_view gold);

// SQuAD bag-of-tokens F1 between the normalised strings' whitespace tokens; 0 when no token is
// shared (so also when either side is empty).
double token_f1(std::string_view prediction, std::string_view gold);

struct item_score {
  double exact_match = 0.0;  // 0 or 1
  double f1 = 0.0;           // 0..1
};

// Each metric maximised over `golds` (strict EM under protocol::kick, lenient EM under
// protocol::llm_kick_code; F1 is the same under both). `golds` empty: both 0.
item_score score_prediction(std::string_view prediction, std::span<const std::string> golds, protocol p);

struct mean_estimate {
  double mean = 0.0;
  std::optional<double> standard_error;  // sample stddev / sqrt(n); none below 2 values
};
mean_estimate mean_with_standard_error(std::span<const double> values);

}  // namespace kick::retrieval
