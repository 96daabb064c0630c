#include "core/run/lm_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kick {

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
  // Reuse the cached prefix, but always evaluate from first_logit on (logits are not cached).
  const auto shared_or = reuse_prefix(tokens, first_logit);
  if (!shared_or) return shared_or.error();
  const std::size_t shared = *shared_or;
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

result<std::size_t> lm_service::reuse_prefix(std::span<const std::int32_t> tokens, std::size_t limit) {
  if (static_cast<std::int64_t>(tokens.size()) > context_length()) {
    return fail(status_code::out_of_range,
                fmt::format("{} tokens exceed the context of {} positions", tokens.size(), context_length()));
  }
  std::size_t shared = 0;
  limit = std::min({cached_.size(), tokens.size(), limit});
  while (shared < limit && cached_[shared] == tokens[shared]) ++shared;
  cached_.resize(shared);
  return shared;
}

status lm_service::evaluate_scores(std::span<const std::int32_t> tokens, std::size_t first_scored) {
  if (tokens.size() < 2 || first_scored + 1 >= tokens.size()) return fail(status_code::invalid_argument, "nothing to score");
  // Reuse the cached prefix, but always evaluate from first_scored on (scores are not cached).
  const auto shared_or = reuse_prefix(tokens, first_scored);
  if (!shared_or) return shared_or.error();
  const std::size_t shared = *shared_or;
  scores_.assign(tokens.size() - 1 - first_scored, 0.0);
  greedy_.assign(scores_.size(), false);
  std::vector<std::int32_t> targets;
  std::vector<double> logprobs;
  std::vector<std::int32_t> argmaxes;
  std::vector<float> last_logits(static_cast<std::size_t>(n_vocab_));
  for (std::size_t start = shared; start < tokens.size(); start += k_chunk_tokens) {
    const std::size_t end = std::min(tokens.size(), start + k_chunk_tokens);
    const std::size_t n = end - start;
    const auto chunk = tokens.subspan(start, n);
    status s;
    if (end <= first_scored) {  // only fills the cache
      s = runner_.eval(chunk, static_cast<std::int64_t>(start), logits_mode::last, last_logits);
    } else {
      // The last token has no target; it is scored against token 0 and the result ignored.
      targets.assign(n, 0);
      for (std::size_t p = start; p < end && p + 1 < tokens.size(); ++p) targets[p - start] = tokens[p + 1];
      logprobs.assign(n, 0.0);
      argmaxes.assign(n, 0);
      s = runner_.score(chunk, static_cast<std::int64_t>(start), targets, logprobs, argmaxes);
      for (std::size_t p = std::max(start, first_scored); s.ok() && p < end && p + 1 < tokens.size(); ++p) {
        scores_[p - first_scored] = logprobs[p - start];
        greedy_[p - first_scored] = argmaxes[p - start] == tokens[p + 1];
      }
    }
    if (!s.ok()) {
      cached_.clear();
      return s;
    }
    tokens_evaluated_ += static_cast<std::int64_t>(n);
    cached_.insert(cached_.end(), chunk.begin(), chunk.end());
  }
  return status::success();
}

result<std::vector<double>> lm_service::token_logprobs(std::span<const std::int32_t> tokens) {
  if (tokens.size() < 2) return fail(status_code::invalid_argument, "token_logprobs needs at least 2 tokens");
  if (status s = evaluate_scores(tokens, 0); !s.ok()) return std::unexpected(s);
  return scores_;
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
  if (status s = evaluate_scores(tokens, n_ctx - 1); !s.ok()) return std::unexpected(s);
  loglikelihood_result r;
  r.is_greedy = true;
  r.n_tokens = static_cast<std::int64_t>(n_cont);
  for (std::size_t i = 0; i < scores_.size(); ++i) {
    r.logprob += scores_[i];
    r.is_greedy = r.is_greedy && greedy_[i];
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
