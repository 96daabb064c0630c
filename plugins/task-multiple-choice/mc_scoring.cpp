#include "mc_scoring.h"

#include <cmath>

#include "mmlu_categories.h"
#include "python_text.h"
#include "text_util.h"

namespace kick::mc {

namespace {

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The last UTF-8 code point of `text` (its last byte if the text is not valid there).
std::string_view last_character(std::string_view text) {
  if (text.empty()) return text;
  std::size_t start = text.size() - 1;
  while (start > 0 && is_continuation_byte(text[start]) && text.size() - start < 4) --start;
  if (is_continuation_byte(text[start])) start = text.size() - 1;
  return text.substr(start);
}

}  // namespace

std::string_view letter(int index) {
  static constexpr std::string_view k_letters = "ABCD";
  return k_letters.substr(static_cast<std::size_t>(index), 1);
}

std::string letter_prediction(std::string_view prompt, std::string_view generated, protocol p) {
  if (p == protocol::llm_kick_code) {
    // decoded(prompt + generated)[-1:]: with nothing generated (EOS), the prompt's last character.
    return std::string(last_character(generated.empty() ? prompt : generated));
  }
  return text::python_strip(generated);
}

std::size_t argmax_first(std::span<const double> values) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

std::size_t argmax_normalized(std::span<const double> logprobs, std::span<const std::string> choices) {
  std::vector<double> normalized(logprobs.size());
  for (std::size_t i = 0; i < logprobs.size(); ++i) {
    const std::size_t length = i < choices.size() ? text::count_chars(choices[i]) : 0;
    normalized[i] = length == 0 ? logprobs[i] : logprobs[i] / static_cast<double>(length);
  }
  return argmax_first(normalized);
}

double tally::mean() const { return n == 0 ? 0.0 : static_cast<double>(n_correct) / static_cast<double>(n); }

std::optional<double> tally::standard_error() const {
  if (n < 2) return std::nullopt;
  const double p = mean();
  return std::sqrt(p * (1.0 - p) / static_cast<double>(n - 1));
}

void append_grouped_metrics(std::vector<metric_value>& out, std::string_view name, std::span<const item_outcome> items) {
  tally overall;
  std::map<std::string, tally> by_category, by_subcategory, by_subject;
  for (const item_outcome& item : items) {
    const subject_group group = group_of(item.subject);
    overall.add(item.correct);
    by_category[group.category].add(item.correct);
    if (is_mmlu_subject(item.subject)) by_subcategory[group.subcategory].add(item.correct);
    by_subject[item.subject].add(item.correct);
  }
  const auto push = [&](std::string filter, const tally& t) {
    out.push_back({std::string(name), std::move(filter), t.mean(), t.standard_error(), true});
  };
  push("none", overall);
  for (const auto& [category, t] : by_category) push(concat("category:", category), t);
  for (const auto& [subcategory, t] : by_subcategory) push(concat("subcategory:", subcategory), t);
  for (const auto& [subject, t] : by_subject) push(concat("subject:", subject), t);
}

}  // namespace kick::mc
