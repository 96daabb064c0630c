// Perplexity task: the dataset is tokenized once and cut into non-overlapping windows of
// `seqlen` tokens; each window's mean negative log-likelihood is taken over its seqlen - 1
// predicted tokens and ppl = exp(mean over windows), as Wanda's eval_ppl_wikitext (used by
// LLM-KICK) computes it (research notes: llmkick.md §1.7).
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kick/plugin.h"

namespace {

using kick::fail;
using kick::status_code;

// A plain text file as is, or the `field` of every line of a .jsonl file joined by `separator`.
kick::result<std::string> read_dataset(const std::string& path, const std::string& field, const std::string& separator) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(status_code::not_found, "dataset '" + path + "': cannot open");
  if (!path.ends_with(".jsonl")) {
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string text, line;
  std::int64_t line_number = 0, documents = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
    const std::string where = "dataset '" + path + "' line " + std::to_string(line_number);
    if (doc.is_discarded()) return fail(status_code::invalid_argument, where + ": not valid JSON");
    if (!doc.is_object() || !doc.contains(field)) {
      return fail(status_code::invalid_argument, where + ": no field '" + field + "' (set the text_field parameter)");
    }
    if (!doc[field].is_string()) return fail(status_code::invalid_argument, where + ": field '" + field + "' is not a string");
    if (documents++ > 0) text += separator;
    text += doc[field].get<std::string>();
  }
  return text;
}

class perplexity_task final : public kick::task {
 public:
  static kick::result<std::unique_ptr<perplexity_task>> create(const kick::host&, const kick::param_map& params) {
    auto task = std::make_unique<perplexity_task>();
    task->seqlen_ = params.get_int("seqlen").value_or(2048);
    task->add_bos_ = params.get_bool("add_bos").value_or(true);
    task->text_field_ = params.get_string("text_field").value_or("text");
    task->separator_ = params.get_string("separator").value_or("\n\n");
    return task;
  }

  kick::result<kick::task_result> run(kick::task_context& context) override {
    auto text = read_dataset(context.dataset_path, text_field_, separator_);
    if (!text) return std::unexpected(text.error());
    auto tokens = context.model.tokenize(*text, add_bos_);
    if (!tokens) return std::unexpected(tokens.error());
    const std::int64_t seqlen = std::min(seqlen_, context.model.context_length());
    if (seqlen < seqlen_) {
      context.services.log(kick::log_level::info, "seqlen " + std::to_string(seqlen_) + " capped at the context length " +
                                                      std::to_string(seqlen));
    }
    const auto n_tokens = static_cast<std::int64_t>(tokens->size());
    const std::int64_t n_windows_total = n_tokens / seqlen;
    if (n_windows_total == 0) {
      return fail(status_code::invalid_argument, "dataset '" + context.dataset_path + "' has " + std::to_string(n_tokens) +
                                                     " tokens, fewer than one window of seqlen " + std::to_string(seqlen));
    }
    const std::int64_t n_windows = context.limit > 0 ? std::min(context.limit, n_windows_total) : n_windows_total;
    std::vector<double> window_nll;
    for (std::int64_t w = 0; w < n_windows; ++w) {
      const std::span<const std::int32_t> window(tokens->data() + w * seqlen, static_cast<std::size_t>(seqlen));
      auto logprobs = context.model.token_logprobs(window);
      if (!logprobs) return std::unexpected(logprobs.error().with_context("window " + std::to_string(w)));
      double sum = 0.0;
      for (double lp : *logprobs) sum -= lp;
      window_nll.push_back(sum / static_cast<double>(logprobs->size()));
      const nlohmann::json record = {{"window", w},
                                     {"first_token", w * seqlen},
                                     {"tokens", seqlen},
                                     {"nll", window_nll.back()},
                                     {"ppl", std::exp(window_nll.back())}};
      if (kick::status s = context.samples.write(record.dump()); !s.ok()) return std::unexpected(s);
      context.services.progress("perplexity windows", w + 1, n_windows);
    }
    double mean = 0.0;
    for (double v : window_nll) mean += v;
    mean /= static_cast<double>(n_windows);
    double variance = 0.0;
    for (double v : window_nll) variance += (v - mean) * (v - mean);
    std::optional<double> nll_stderr;
    if (n_windows > 1) nll_stderr = std::sqrt(variance / static_cast<double>(n_windows - 1) / static_cast<double>(n_windows));

    kick::task_result r;
    r.metrics.push_back({"ppl", "none", std::exp(mean), std::nullopt, false});
    r.metrics.push_back({"nll", "none", mean, nll_stderr, false});
    r.n_samples_original = n_windows_total;
    r.n_samples_effective = n_windows;
    r.details = {{"seqlen", std::to_string(seqlen)},
                 {"tokens", std::to_string(n_tokens)},
                 {"windows", std::to_string(n_windows)},
                 {"tokens_scored", std::to_string(n_windows * (seqlen - 1))},
                 {"dataset_bytes", std::to_string(text->size())}};
    return r;
  }

 private:
  std::int64_t seqlen_ = 2048;
  bool add_bos_ = true;
  std::string text_field_;
  std::string separator_;
};

}  // namespace

KICK_TASK_PLUGIN(perplexity_task, "perplexity", "0.1.0")
