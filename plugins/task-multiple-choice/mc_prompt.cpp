#include "mc_prompt.h"

#include <algorithm>

#include "text_util.h"

namespace kick::mc {

namespace {
constexpr std::string_view k_letters = "ABCD";
}

std::string format_subject(std::string_view subject, protocol p) {
  std::string out;
  if (p == protocol::llm_kick_code) out.push_back(' ');  // " " + each "_"-separated word
  for (char c : subject) out.push_back(c == '_' ? ' ' : c);
  return out;
}

std::string prompt_header(std::string_view subject, protocol p) {
  return concat("The following are multiple choice questions (with answers) about ", format_subject(subject, p), ".\n\n");
}

std::string format_question(const mc_question& q, bool with_answer) {
  std::string out = q.question;
  for (std::size_t c = 0; c < 4; ++c) {
    out.push_back('\n');
    out.push_back(k_letters[c]);
    out.append(". ").append(q.choices[c]);
  }
  out.append("\nAnswer:");
  if (with_answer) {
    out.push_back(' ');
    out.push_back(k_letters[static_cast<std::size_t>(q.answer)]);
    out.append("\n\n");
  }
  return out;
}

std::string build_prompt(std::string_view subject, std::span<const mc_question> shots, std::size_t k, const mc_question& item,
                         protocol p) {
  std::string out = prompt_header(subject, p);
  for (std::size_t i = 0; i < k && i < shots.size(); ++i) out.append(format_question(shots[i], true));
  out.append(format_question(item, false));
  return out;
}

result<std::optional<fitted_prompt>> fit_prompt(std::string_view subject, std::span<const mc_question> shots, std::size_t n_shot,
                                                const mc_question& item, protocol p, std::int64_t max_tokens,
                                                const token_counter& count_tokens, std::int64_t* zero_shot_tokens) {
  std::size_t k = std::min(n_shot, shots.size());
  while (true) {
    std::string text = build_prompt(subject, shots, k, item, p);
    auto n_tokens = count_tokens(text);
    if (!n_tokens) return std::unexpected(n_tokens.error());
    if (*n_tokens <= max_tokens) return fitted_prompt{std::move(text), k, *n_tokens};
    if (k == 0) {
      if (zero_shot_tokens != nullptr) *zero_shot_tokens = *n_tokens;
      return std::optional<fitted_prompt>();
    }
    --k;
  }
}

}  // namespace kick::mc
