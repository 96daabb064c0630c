#include "core/run/lm_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kick {

double log_softmax_at(const float* row, std::int64_t n, std::int64_t index) {
  float max_value = row[0];
  for (std::int64_t i = 1; i < n; ++i) max_value = std::max(max_value, row[i]);
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(row[i]) - max_value);
  return static_cast<double>(row[index]) - max_value - std::log(sum);
}

std::int64_t argmax(const float* row, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    if (row[i] > row[best]) best = i;
  }
  return best;
}

lm_service::lm_service(model_runner& runner, const tokenizer& tok, std::int64_t n_vocab)
    : runner_(runner), tokenizer_(tok), n_vocab_(n_vocab) {}

result<std::vector<std::int32_t>> lm_service::tokenize(std::string_view text, bool add_bos) const {
  return tokenizer_.encode(text, add_bos);
}

result<std::string> lm_service::detokenize(std::span<const std::int32_t> tokens) const { return tokenizer_.decode(tokens); }

const float* lm_service::logits_row(std::size_t position) const {
  return logits_.data() + (position - logits_first_) * static_cast<std::size_t>(n_vocab_);
}

status lm_service::evaluate(std::span<const std::int32_t> tokens, std::size_t first_logit) {
  if (tokens.empty()) return fail(status_code::invalid_argument, "nothing to evaluate");
  if (static_cast<std::int64_t>(tokens.size()) > context_length()) {
    return fail(status_code::out_of_range,
                fmt::format("{} tokens exceed the context of {} positions", tokens.size(), context_length()));
  }
  // Reuse the cached prefix, but always evaluate from first_logit on (logits are not cached).
  std::size_t shared = 0;
  const std::size_t limit = std::min({cached_.size(), tokens.size(), first_logit});
  while (shared < limit && cached_[shared] == tokens[shared]) ++shared;
  cached_.resize(shared);
  // Evaluate in chunks so that the logits buffer stays bounded for long windows.
  constexpr std::size_t k_chunk_tokens = 512;
  logits_first_ = first_logit;
  logits_.assign((tokens.size() - first_logit) * static_cast<std::size_t>(n_vocab_), 0.0f);
  std::vector<float> chunk_logits;
  for (std::size_t start = shared; start < tokens.size(); start += k_chunk_tokens) {
    const std::size_t end = std::min(tokens.size(), start + k_chunk_tokens);
    const bool wants_logits = end > first_logit;
    const std::size_t n = end - start;
    chunk_logits.resize((wants_logits ? n : 1) * static_cast<std::size_t>(n_vocab_));
    const logits_mode mode = wants_logits ? logits_mode::all : logits_mode::last;
    status s = runner_.eval(tokens.subspan(start, n), static_cast<std::int64_t>(start), mode, chunk_logits);
    if (!s.ok()) {
      cached_.clear();
      return s;
    }
    tokens_evaluated_ += static_cast<std::int64_t>(n);
    cached_.insert(cached_.end(), tokens.begin() + static_cast<std::ptrdiff_t>(start), tokens.begin() + static_cast<std::ptrdiff_t>(end));
    if (!wants_logits) continue;
    const std::size_t from = std::max(start, first_logit);
    std::copy(chunk_logits.begin() + static_cast<std::ptrdiff_t>((from - start) * n_vocab_),
              chunk_logits.begin() + static_cast<std::ptrdiff_t>(n * n_vocab_),
              logits_.begin() + static_cast<std::ptrdiff_t>((from - first_logit) * n_vocab_));
  }
  return status::success();
}

result<std::vector<double>> lm_service::token_logprobs(std::span<const std::int32_t> tokens) {
  if (tokens.size() < 2) return fail(status_code::invalid_argument, "token_logprobs needs at least 2 tokens");
  if (status s = evaluate(tokens, 0); !s.ok()) return std::unexpected(s);
  std::vector<double> out(tokens.size() - 1);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) out[i] = log_softmax_at(logits_row(i), n_vocab_, tokens[i + 1]);
  return out;
}

result<loglikelihood_result> lm_service::loglikelihood(std::string_view context, std::string_view continuation) {
  // As lm-evaluation-harness: trailing spaces of the context move to the continuation, the
  // pair is tokenized jointly and the continuation is what follows the context's tokens.
  std::size_t n_trailing = 0;
  while (n_trailing < context.size() && context[context.size() - 1 - n_trailing] == ' ') ++n_trailing;
  const std::string ctx(context.substr(0, context.size() - n_trailing));
  const std::string cont = std::string(context.substr(context.size() - n_trailing)) + std::string(continuation);
  auto whole = tokenizer_.encode(ctx + cont, true);
  if (!whole) return std::unexpected(whole.error());
  auto ctx_tokens = tokenizer_.encode(ctx, true);
  if (!ctx_tokens) return std::unexpected(ctx_tokens.error());
  std::size_t n_ctx = std::min(ctx_tokens->size(), whole->size());
  if (n_ctx == whole->size()) {
    return fail(status_code::invalid_argument, "continuation produces no tokens after the context");
  }
  std::vector<std::int32_t> tokens = std::move(*whole);
  // Left-truncate to the context window, keeping the whole continuation.
  const auto max_len = static_cast<std::size_t>(context_length());
  const std::size_t n_cont = tokens.size() - n_ctx;
  if (n_cont + 1 > max_len) {
    return fail(status_code::out_of_range, fmt::format("continuation of {} tokens does not fit the context of {}", n_cont, max_len));
  }
  if (tokens.size() > max_len) {
    const std::size_t drop = tokens.size() - max_len;
    tokens.erase(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(drop));
    n_ctx -= drop;
  }
  if (status s = evaluate(tokens, n_ctx - 1); !s.ok()) return std::unexpected(s);
  loglikelihood_result r;
  r.is_greedy = true;
  r.n_tokens = static_cast<std::int64_t>(n_cont);
  for (std::size_t i = n_ctx; i < tokens.size(); ++i) {
    const float* row = logits_row(i - 1);
    r.logprob += log_softmax_at(row, n_vocab_, tokens[i]);
    if (argmax(row, n_vocab_) != tokens[i]) r.is_greedy = false;
  }
  return r;
}

result<std::string> lm_service::generate_until(std::string_view prompt, const generate_options& options) {
  auto prompt_tokens = tokenizer_.encode(prompt, true);
  if (!prompt_tokens) return std::unexpected(prompt_tokens.error());
  const std::string prompt_text = tokenizer_.decode(*prompt_tokens);
  std::vector<std::int32_t> all = *prompt_tokens;
  const auto continuation_text = [&](const std::vector<std::int32_t>& generated) {
    all.resize(prompt_tokens->size());
    all.insert(all.end(), generated.begin(), generated.end());
    std::string text = tokenizer_.decode(all);
    // The prompt's own text is a prefix of the joint decoding for SentencePiece vocabularies.
    return text.starts_with(prompt_text) ? text.substr(prompt_text.size()) : tokenizer_.decode(generated);
  };
  const auto first_stop = [&](const std::string& text) {
    std::size_t cut = std::string::npos;
    for (const std::string& s : options.stop) {
      if (!s.empty()) cut = std::min(cut, text.find(s));
    }
    return cut;
  };
  auto generated = generate_tokens(*prompt_tokens, options.max_tokens, [&](const std::vector<std::int32_t>& g) {
    return !options.stop.empty() && first_stop(continuation_text(g)) != std::string::npos;
  });
  if (!generated) return std::unexpected(generated.error());
  std::string text = continuation_text(*generated);
  const std::size_t cut = first_stop(text);
  if (cut != std::string::npos) text.resize(cut);
  return text;
}

}  // namespace kick
