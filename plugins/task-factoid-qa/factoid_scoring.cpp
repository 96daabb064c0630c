#include "factoid_scoring.h"

#include <algorithm>
#include <cmath>

#include "python_text.h"

namespace kick::factoid {

result<protocol> parse_protocol(std::string_view name) {
  if (name == "kick") return protocol::kick;
  if (name == "llm-kick-code") return protocol::llm_kick_code;
  return fail(status_code::invalid_argument,
              std::string("protocol '").append(name).append("' is not one of 'kick', 'llm-kick-code'"));
}

result<prompt_style> parse_prompt_style(std::string_view name) {
  if (name == "code") return prompt_style::code;
  if (name == "paper") return prompt_style::paper;
  return fail(status_code::invalid_argument,
              std::string("prompt_style '").append(name).append("' is not one of 'code', 'paper'"));
}

const char* to_string(protocol p) { return p == protocol::kick ? "kick" : "llm-kick-code"; }
const char* to_string(prompt_style s) { return s == prompt_style::code ? "code" : "paper"; }

std::string make_prompt(std::string_view question, prompt_style style) {
  std::string prompt = "Please give answer to this question: ";
  prompt.append(question);
  prompt.append(style == prompt_style::code ? "\nThe answer is " : " The answer is ");
  return prompt;
}

generate_options generation_options(protocol p, std::int64_t n_prompt_tokens, std::int64_t max_new_tokens) {
  generate_options options;
  if (p == protocol::kick) {
    options.max_tokens = max_new_tokens;
    options.stop = {"\n"};
  } else {
    options.max_tokens = 2 * n_prompt_tokens;
  }
  return options;
}

std::string scored_output(protocol p, std::string_view prompt, std::string_view generated) {
  std::string out;
  if (p == protocol::llm_kick_code) out.append(prompt);
  out.append(generated);
  return out;
}

std::string normalize_for_match(std::string_view raw) {
  std::string no_spaces = text::python_strip(raw);  // valid UTF-8 from here on
  std::erase(no_spaces, ' ');
  return text::lower_utf8(no_spaces);
}

bool matches_any_alias(protocol p, std::span<const std::string> aliases, std::string_view output) {
  const std::string normalized_output = normalize_for_match(output);
  for (const std::string& alias : aliases) {
    const std::string normalized_alias = normalize_for_match(alias);
    if (normalized_alias.empty() && p == protocol::kick) continue;
    if (normalized_output.find(normalized_alias) != std::string::npos) return true;
  }
  return false;
}

item_plan plan_items(protocol p, std::int64_t n_items, std::int64_t limit) {
  if (limit <= 0) return {n_items, n_items};
  if (p == protocol::kick) {
    const std::int64_t n = std::min(limit, n_items);
    return {n, n};
  }
  return {limit >= n_items ? n_items : limit + 1, limit};
}

exact_match_score score_exact_match(std::int64_t n_matches, std::int64_t n_evaluated, std::int64_t divisor) {
  exact_match_score score;
  if (divisor <= 0 || n_evaluated <= 0) return score;
  score.value = static_cast<double>(n_matches) / static_cast<double>(divisor);
  if (n_evaluated > 1) {
    const double n = static_cast<double>(n_evaluated);
    const double q = static_cast<double>(n_matches) / n;
    score.standard_error = std::sqrt(q * (1.0 - q) / (n - 1.0)) * n / static_cast<double>(divisor);
  }
  return score;
}

}  // namespace kick::factoid
