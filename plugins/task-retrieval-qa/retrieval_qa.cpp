// Retrieval QA task: LLM-KICK's in-context retrieval-augmented QA on TriviaQA rc, closed book
// (question only) or open book (evidence in the prompt); greedy generation, first line of the
// answer, TriviaQA normalisation, exact match and token F1 (research notes: llmkick.md §1.4).
#include <initializer_list>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kick/plugin.h"
#include "qa_prompt.h"
#include "qa_scoring.h"
#include "text_normalize.h"
#include "triviaqa_dataset.h"

namespace {

using kick::fail;
using kick::status_code;
namespace kr = kick::retrieval;

std::string concat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p);
  return s;
}

class retrieval_qa_task final : public kick::task {
 public:
  static kick::result<std::unique_ptr<retrieval_qa_task>> create(const kick::host&, const kick::param_map& params) {
    auto task = std::make_unique<retrieval_qa_task>();
    const std::string protocol = params.get_string("protocol").value_or("kick");
    if (protocol != "kick" && protocol != "llm-kick-code") {
      return fail(status_code::invalid_argument, concat({"protocol '", protocol, "': expected kick or llm-kick-code"}));
    }
    task->protocol_ = protocol == "kick" ? kr::protocol::kick : kr::protocol::llm_kick_code;
    const std::string book = params.get_string("book").value_or("closed");
    if (book != "closed" && book != "open") {
      return fail(status_code::invalid_argument, concat({"book '", book, "': expected closed or open"}));
    }
    task->book_ = book == "open" ? kr::book::open : kr::book::closed;
    const std::int64_t max_evidence_chars = params.get_int("max_evidence_chars").value_or(3072);
    const std::int64_t max_new_tokens = params.get_int("max_new_tokens").value_or(32);
    if (max_evidence_chars < 0) {
      return fail(status_code::invalid_argument,
                  concat({"max_evidence_chars ", std::to_string(max_evidence_chars), ": expected 0 or more"}));
    }
    if (max_new_tokens < 1) {
      return fail(status_code::invalid_argument, concat({"max_new_tokens ", std::to_string(max_new_tokens), ": expected 1 or more"}));
    }
    task->max_evidence_chars_ = static_cast<std::size_t>(max_evidence_chars);
    task->max_new_tokens_ = max_new_tokens;
    return task;
  }

  kick::result<kick::task_result> run(kick::task_context& context) override {
    kr::trivia_read_options read_options;
    read_options.keep_evidence = book_ == kr::book::open;
    read_options.evidence_chars_kept = max_evidence_chars_ + 1;
    auto dataset = kr::read_triviaqa(context.dataset_path, read_options);
    if (!dataset) return std::unexpected(dataset.error());
    const auto n_rows = static_cast<std::int64_t>(dataset->rows.size());
    if (n_rows == 0) return fail(status_code::invalid_argument, concat({"dataset '", context.dataset_path, "' has no rows"}));
    const std::int64_t n_items = context.limit > 0 ? std::min(context.limit, n_rows) : n_rows;

    std::vector<double> exact_matches, f1s;
    std::int64_t n_with_evidence = 0, n_truncated = 0, n_empty = 0;
    for (std::int64_t i = 0; i < n_items; ++i) {
      const kr::trivia_row& row = dataset->rows[static_cast<std::size_t>(i)];
      auto item = run_item(context.model, row);
      if (!item) {
        const std::string where = concat({"item ", std::to_string(i), " (question_id ", row.question_id.value_or("none"), ")"});
        return std::unexpected(item.error().with_context(where));
      }
      const kr::item_score score = kr::score_prediction(item->prediction, row.golds, protocol_);
      exact_matches.push_back(score.exact_match);
      f1s.push_back(score.f1);
      if (!row.evidence.empty()) ++n_with_evidence;
      if (item->prompt.evidence_truncated) ++n_truncated;
      if (kr::normalize_answer(item->prediction).empty()) ++n_empty;

      nlohmann::json record = {
          {"question_id", row.question_id ? nlohmann::json(*row.question_id) : nlohmann::json(nullptr)},
          {"prompt", kr::record_prompt(book_, row.question, row.evidence, max_evidence_chars_)},
          {"output", item->output},
          {"prediction", item->prediction},
          {"aliases", row.golds},
          {"exact_match", score.exact_match},
          {"f1", score.f1}};
      // Model output may stop inside a UTF-8 character: replace what is not valid.
      const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (kick::status s = context.samples.write(line); !s.ok()) return std::unexpected(s);
      context.services.progress("retrieval-qa items", i + 1, n_items);
    }

    const kr::mean_estimate em = kr::mean_with_standard_error(exact_matches);
    const kr::mean_estimate f1 = kr::mean_with_standard_error(f1s);
    kick::task_result r;
    r.metrics.push_back({"exact_match", "none", em.mean, em.standard_error, true});
    r.metrics.push_back({"f1", "none", f1.mean, f1.standard_error, true});
    r.n_samples_original = n_rows;
    r.n_samples_effective = n_items;
    r.details = {{"protocol", protocol_ == kr::protocol::kick ? "kick" : "llm-kick-code"},
                 {"book", book_ == kr::book::open ? "open" : "closed"},
                 {"format", dataset->layout == kr::json_layout::array ? "json array" : "json lines"},
                 {"max_evidence_chars", std::to_string(max_evidence_chars_)},
                 {"max_new_tokens", std::to_string(max_new_tokens_)},
                 {"exact_match_rule", protocol_ == kr::protocol::kick ? "equality" : "containment either way"},
                 {"items_with_evidence", std::to_string(n_with_evidence)},
                 {"items_evidence_truncated", std::to_string(n_truncated)},
                 {"items_empty_prediction", std::to_string(n_empty)}};
    return r;
  }

 private:
  struct item_run {
    kr::built_prompt prompt;
    std::string output;      // the generated text
    std::string prediction;  // the answer scored
  };

  kick::result<item_run> run_item(kick::lm& model, const kr::trivia_row& row) const {
    item_run item;
    item.prompt = kr::build_prompt(book_, row.question, row.evidence, max_evidence_chars_);
    kick::generate_options options;
    options.max_tokens = max_new_tokens_;
    // kick stops at the end of the first line; the released code always generates
    // max_new_tokens (or up to EOS) and cuts afterwards.
    if (protocol_ == kr::protocol::kick) options.stop = {"\n"};
    auto generated = model.generate_until(item.prompt.text, options);
    if (!generated) {
      kick::status s = generated.error();
      if (s.code() == status_code::out_of_range) s = s.with_context("the prompt does not fit (lower max_evidence_chars)");
      return std::unexpected(s);
    }
    item.output = std::move(*generated);
    if (protocol_ == kr::protocol::kick) {
      item.prediction = kr::first_line_prediction(item.output);
      return item;
    }
    // The released code decodes prompt and generation together and splits at the question block.
    auto prompt_tokens = model.tokenize(item.prompt.text, true);
    if (!prompt_tokens) return std::unexpected(prompt_tokens.error());
    auto decoded_prompt = model.detokenize(*prompt_tokens);
    if (!decoded_prompt) return std::unexpected(decoded_prompt.error());
    std::string decoded = std::move(*decoded_prompt);
    decoded.append(item.output);
    auto prediction = kr::code_prediction(decoded, item.prompt.question_block);
    if (!prediction) return std::unexpected(prediction.error());
    item.prediction = std::move(*prediction);
    return item;
  }

  kr::protocol protocol_ = kr::protocol::kick;
  kr::book book_ = kr::book::closed;
  std::size_t max_evidence_chars_ = 3072;
  std::int64_t max_new_tokens_ = 32;
};

}  // namespace

KICK_TASK_PLUGIN(retrieval_qa_task, "retrieval-qa", "0.1.0")
