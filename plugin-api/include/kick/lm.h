// kick plugin API: the language-model service the host offers tasks.
// It wraps a backend runner and the model's tokenizer behind lm-evaluation-harness's requests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kick/status.h"

namespace kick {

struct generate_options {
  std::int64_t max_tokens = 128;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any of these
};

struct loglikelihood_result {
  double logprob = 0.0;      // sum of log p(continuation token | everything before it), natural log
  bool is_greedy = false;    // every continuation token was the argmax
  std::int64_t n_tokens = 0; // continuation tokens scored
};

class lm {
 public:
  virtual std::int64_t context_length() const = 0;
  virtual std::int64_t vocab_size() const = 0;
  virtual std::int32_t bos_token() const = 0;

  virtual result<std::vector<std::int32_t>> tokenize(std::string_view text, bool add_bos) const = 0;
  virtual result<std::string> detokenize(std::span<const std::int32_t> tokens) const = 0;

  // out[i] = log p(tokens[i + 1] | tokens[0..i]) for i in [0, tokens.size() - 1).
  // tokens.size() must be at least 2 and at most context_length().
  virtual result<std::vector<double>> token_logprobs(std::span<const std::int32_t> tokens) = 0;

  // Log-likelihood of `continuation` after `context` (context tokenized with BOS; the
  // continuation's tokens are those that follow the context's in the joint tokenization).
  virtual result<loglikelihood_result> loglikelihood(std::string_view context, std::string_view continuation) = 0;

  // Greedy continuation of `prompt` (tokenized with BOS); the returned text excludes the prompt
  // and any stop string.
  virtual result<std::string> generate_until(std::string_view prompt, const generate_options& options) = 0;

 protected:
  ~lm() = default;
};

}  // namespace kick
