// The kick::lm service: lm-evaluation-harness's requests (log-likelihood, rolling token
// log-probabilities, greedy generation) on top of a backend runner and a tokenizer.
// Keeps the runner's KV cache between requests and reuses the longest shared token prefix.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "kick/backend.h"
#include "kick/lm.h"

namespace kick {

class lm_service final : public lm {
 public:
  // `runner` and `tok` must outlive the service. n_vocab is the model's vocabulary size.
  lm_service(model_runner& runner, const tokenizer& tok, std::int64_t n_vocab);

  std::int64_t context_length() const override { return runner_.context_length(); }
  std::int64_t vocab_size() const override { return n_vocab_; }
  std::int32_t bos_token() const override { return tokenizer_.bos(); }

  result<std::vector<std::int32_t>> tokenize(std::string_view text, bool add_bos) const override;
  result<std::string> detokenize(std::span<const std::int32_t> tokens) const override;
  result<std::vector<double>> token_logprobs(std::span<const std::int32_t> tokens) override;
  result<loglikelihood_result> loglikelihood(std::string_view context, std::string_view continuation) override;
  result<std::string> generate_until(std::string_view prompt, const generate_options& options) override;

  // Greedy generation from tokens; returns the generated ids (without the prompt). Stops at
  // EOS, after max_tokens, when the context is full, or when `stop_check` returns true.
  template <class StopCheck>
  result<std::vector<std::int32_t>> generate_tokens(std::span<const std::int32_t> prompt, std::int64_t max_tokens,
                                                    StopCheck stop_check);

  std::int64_t tokens_evaluated() const { return tokens_evaluated_; }

 private:
  // Evaluates `tokens` (reusing the cached prefix) and leaves logits for positions
  // [first_logit, tokens.size()) in logits_ (row-major, n_vocab each). first_logit >= 1 unless 0 is
  // allowed to be recomputed; at least one token is always evaluated.
  status evaluate(std::span<const std::int32_t> tokens, std::size_t first_logit);
  const float* logits_row(std::size_t position) const;
  // Evaluates `tokens` (reusing the cached prefix) through model_runner::score and leaves, for
  // every position p in [first_scored, tokens.size() - 1), log p(tokens[p + 1] | tokens[..p]) in
  // scores_ and whether tokens[p + 1] is the argmax in greedy_ (index p - first_scored).
  status evaluate_scores(std::span<const std::int32_t> tokens, std::size_t first_scored);
  // The cached prefix of `tokens` shared with the runner's cache, at most `limit` tokens; the
  // cache record is cut to it. out_of_range when `tokens` exceed the context.
  result<std::size_t> reuse_prefix(std::span<const std::int32_t> tokens, std::size_t limit);
  // Tokens per runner call: bounds the logits buffer for long windows.
  static constexpr std::size_t k_chunk_tokens = 512;

  model_runner& runner_;
  const tokenizer& tokenizer_;
  std::int64_t n_vocab_;
  std::vector<std::int32_t> cached_;  // tokens whose K/V are in the runner's cache
  std::vector<float> logits_;
  std::size_t logits_first_ = 0;      // position of logits_'s first row
  std::vector<double> scores_;        // evaluate_scores' log-probabilities
  std::vector<bool> greedy_;          // and whether each target was the argmax
  std::int64_t tokens_evaluated_ = 0;
};

template <class StopCheck>
result<std::vector<std::int32_t>> lm_service::generate_tokens(std::span<const std::int32_t> prompt, std::int64_t max_tokens,
                                                              StopCheck stop_check) {
  std::vector<std::int32_t> all(prompt.begin(), prompt.end());
  std::vector<std::int32_t> generated;
  if (all.empty()) return fail(status_code::invalid_argument, "generation needs at least one prompt token");
  if (static_cast<std::int64_t>(all.size()) > context_length()) {
    return fail(status_code::out_of_range, "prompt of " + std::to_string(all.size()) + " tokens exceeds the context of " +
                                               std::to_string(context_length()));
  }
  if (status s = evaluate(all, all.size() - 1); !s.ok()) return std::unexpected(s);
  while (static_cast<std::int64_t>(generated.size()) < max_tokens) {
    const auto next = static_cast<std::int32_t>(argmax_of(logits_row(all.size() - 1), n_vocab_));
    if (next == tokenizer_.eos()) break;
    generated.push_back(next);
    all.push_back(next);
    if (stop_check(generated)) break;
    if (static_cast<std::int64_t>(all.size()) >= context_length()) break;
    if (status s = evaluate(all, all.size() - 1); !s.ok()) return std::unexpected(s);
  }
  return generated;
}

}  // namespace kick
