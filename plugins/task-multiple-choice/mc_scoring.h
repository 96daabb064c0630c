// Scoring rules of the multiple-choice task, as pure functions.
//   acc_letter: one greedily generated token; protocol kick: the generated text stripped as by
//     Python's str.strip() (Unicode whitespace; ill-formed UTF-8 reads as U+FFFD) must equal the
//     gold letter; llm-kick-code: the last character of prompt + generated text (the released
//     code's decoded[-1:]) must equal it.
//   acc: argmax over the log-likelihoods of the continuations " A" .. " D" (lm-evaluation-harness).
//   acc_norm: argmax of log-likelihood / length of the choice in characters (lm-evaluation-harness
//     divides by len(choice), the choice being the letter, so for letters acc_norm equals acc).
// Ties go to the first choice (numpy's argmax).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kick/task.h"
#include "mc_prompt.h"

namespace kick::mc {

// "A".."D" by index.
std::string_view letter(int index);

std::string letter_prediction(std::string_view prompt, std::string_view generated, protocol p);

std::size_t argmax_first(std::span<const double> values);
// `choices` are the texts whose length (in Unicode code points, as Python's len) divides each value.
std::size_t argmax_normalized(std::span<const double> logprobs, std::span<const std::string> choices);

// Correct answers among n items; mean and lm-evaluation-harness's standard error of a mean of
// 0/1 values, sqrt(p (1 - p) / (n - 1)) (none for n < 2).
struct tally {
  std::int64_t n = 0;
  std::int64_t n_correct = 0;
  void add(bool correct) {
    ++n;
    n_correct += correct ? 1 : 0;
  }
  double mean() const;
  std::optional<double> standard_error() const;
};

// One item's outcome under one metric.
struct item_outcome {
  std::string subject;
  bool correct = false;
};

// Micro averages: filter "none" over all items, "category:<c>" and "subcategory:<s>" (MMLU
// subjects only: an unknown subject's subcategory would repeat its subject) over the items of
// their subjects, and "subject:<s>" per subject. Appended to `out` as metrics named `name`.
void append_grouped_metrics(std::vector<metric_value>& out, std::string_view name, std::span<const item_outcome> items);

}  // namespace kick::mc
