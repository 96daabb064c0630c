// The multiple-choice prompt (a contract: kickworld is trained on exactly this format):
//   header  "The following are multiple choice questions (with answers) about {subject}.\n\n"
//   shot    "{question}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer: {letter}\n\n"   (k of them)
//   item    "{question}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:"
// {subject} is the file's subject with '_' -> ' ' ("abstract algebra"); under protocol
// llm-kick-code it is Hendrycks' format_subject, a space before every word (" abstract algebra",
// so the header reads "about  abstract algebra.").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kick/status.h"
#include "mmlu_dataset.h"

namespace kick::mc {

enum class protocol { kick, llm_kick_code };

std::string format_subject(std::string_view subject, protocol p);
std::string prompt_header(std::string_view subject, protocol p);
// One question; with its answer (a shot) or ending in "Answer:" (the test item).
std::string format_question(const mc_question& q, bool with_answer);
// header + the first k of `shots` + the item. k must be <= shots.size().
std::string build_prompt(std::string_view subject, std::span<const mc_question> shots, std::size_t k, const mc_question& item,
                         protocol p);

struct fitted_prompt {
  std::string text;
  std::size_t n_shot = 0;    // shots kept
  std::int64_t n_tokens = 0; // as counted by count_tokens
};

// Counts the tokens the model sees for a prompt (BOS included).
using token_counter = std::function<result<std::int64_t>(std::string_view)>;

// The released code's rule: start from k = min(n_shot, shots.size()) and drop one shot at a time
// until the prompt has at most max_tokens tokens. nullopt when even the zero-shot prompt is longer
// (its length is then in `zero_shot_tokens` when given).
result<std::optional<fitted_prompt>> fit_prompt(std::string_view subject, std::span<const mc_question> shots, std::size_t n_shot,
                                                const mc_question& item, protocol p, std::int64_t max_tokens,
                                                const token_counter& count_tokens, std::int64_t* zero_shot_tokens = nullptr);

}  // namespace kick::mc
