// The factoid-qa task's rules as pure functions: prompts, generation settings, alias matching
// and the exact-match aggregate, for both protocols (research notes llmkick.md §1.2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kick/lm.h"
#include "kick/status.h"

namespace kick::factoid {

// kick: score only the generated text, stop at a newline, count exactly the items evaluated.
// llm_kick_code: reproduce VITA-Group/llm-kick factoid_qa/main_freebase.py, quirks included.
enum class protocol { kick, llm_kick_code };

// code: "...{question}\nThe answer is " (main_freebase.py); paper: "...{question} The answer is "
// (the paper's appendix A.2.1 and GPTQ_experiment/vicuna_inference_freebase.py).
enum class prompt_style { code, paper };

result<protocol> parse_protocol(std::string_view name);          // "kick" | "llm-kick-code"
result<prompt_style> parse_prompt_style(std::string_view name);  // "code" | "paper"
const char* to_string(protocol p);
const char* to_string(prompt_style s);

std::string make_prompt(std::string_view question, prompt_style style);

// Greedy decoding settings for one item. kick: max_new_tokens, stop at "\n". llm_kick_code:
// HF generate(max_length = 3 x prompt tokens), i.e. 2 x n_prompt_tokens new tokens (BOS counted
// in the prompt), no stop string (generation still ends at EOS or when the context is full).
generate_options generation_options(protocol p, std::int64_t n_prompt_tokens, std::int64_t max_new_tokens);

// The text the aliases are searched in: kick, the generated text alone; llm_kick_code, the whole
// decoded sequence, i.e. the prompt followed by the generated text.
std::string scored_output(protocol p, std::string_view prompt, std::string_view generated);

// LLM-KICK's validate_response normalisation with Python's str semantics (python_text.h):
// str.strip() (Unicode whitespace), remove every ' ' (U+0020 only), str.lower() (full Unicode).
// Ill-formed UTF-8 reads as U+FFFD, as the Python side's decoded text has it.
std::string normalize_for_match(std::string_view text);

// True when some alias, normalised, is a substring of the normalised `output`. An alias that
// normalises to "" matches every output under llm_kick_code (Python's `"" in s`) and never under kick.
bool matches_any_alias(protocol p, std::span<const std::string> aliases, std::string_view output);

// Which items run and what the match count is divided by, for `n_items` items in the file and
// the run's `limit` (0 = all). kick: min(limit, n_items) items, divided by that count.
// llm_kick_code with limit N: the code's loop `if num_example > N: break` runs min(N + 1, n_items)
// items and divides by N; with no limit, all items divided by n_items.
struct item_plan {
  std::int64_t n_evaluated = 0;
  std::int64_t divisor = 0;
};
item_plan plan_items(protocol p, std::int64_t n_items, std::int64_t limit);

// value = n_matches / divisor. The standard error is that of the mean of the n_evaluated 0/1
// scores, sqrt(q (1 - q) / (n - 1)) with q = n_matches / n, scaled by n / divisor as value is;
// absent when n_evaluated < 2. Under kick divisor == n, so this is sqrt(p (1 - p) / (n - 1)).
struct exact_match_score {
  double value = 0.0;
  std::optional<double> standard_error;
};
exact_match_score score_exact_match(std::int64_t n_matches, std::int64_t n_evaluated, std::int64_t divisor);

}  // namespace kick::factoid
