// factoid-qa task: closed-book factoid QA on FreebaseQA, LLM-KICK's "Factoid-QA" (research notes
// llmkick.md §1.2). One greedy generation per question; a question counts as answered when one of
// its aliases, spaces removed and lower-cased, is a substring of the scored output. The rules live
// in factoid_scoring.h, the dataset reader in freebase_dataset.h.
#include <nlohmann/json.hpp>

#include "factoid_scoring.h"
#include "freebase_dataset.h"
#include "kick/plugin.h"

namespace {

using namespace kick::factoid;

class factoid_qa_task final : public kick::task {
 public:
  static kick::result<std::unique_ptr<factoid_qa_task>> create(const kick::host&, const kick::param_map& params) {
    auto task = std::make_unique<factoid_qa_task>();
    auto p = parse_protocol(params.get_string("protocol").value_or("kick"));
    if (!p) return std::unexpected(p.error());
    auto style = parse_prompt_style(params.get_string("prompt_style").value_or("code"));
    if (!style) return std::unexpected(style.error());
    task->protocol_ = *p;
    task->prompt_style_ = *style;
    task->max_new_tokens_ = params.get_int("max_new_tokens").value_or(32);
    if (task->max_new_tokens_ < 1) {
      return kick::fail(kick::status_code::invalid_argument,
                        std::string("max_new_tokens ").append(std::to_string(task->max_new_tokens_)).append(" must be at least 1"));
    }
    return task;
  }

  kick::result<kick::task_result> run(kick::task_context& context) override {
    auto dataset = read_freebase_qa(context.dataset_path);
    if (!dataset) return std::unexpected(dataset.error());
    const auto n_items = static_cast<std::int64_t>(dataset->items.size());
    const item_plan plan = plan_items(protocol_, n_items, context.limit);
    if (protocol_ == protocol::llm_kick_code && context.limit > 0) {
      context.services.log(kick::log_level::info, std::string("protocol llm-kick-code: limit ")
                                                      .append(std::to_string(context.limit))
                                                      .append(" evaluates ")
                                                      .append(std::to_string(plan.n_evaluated))
                                                      .append(" questions and divides by ")
                                                      .append(std::to_string(plan.divisor))
                                                      .append(", as the released code does"));
    }

    std::int64_t n_matches = 0;
    for (std::int64_t i = 0; i < plan.n_evaluated; ++i) {
      const factoid_item& item = dataset->items[static_cast<std::size_t>(i)];
      const std::string where = std::string("item ").append(std::to_string(i));
      const std::string prompt = make_prompt(item.question, prompt_style_);
      auto prompt_tokens = context.model.tokenize(prompt, true);
      if (!prompt_tokens) return std::unexpected(prompt_tokens.error().with_context(where));
      const auto n_prompt_tokens = static_cast<std::int64_t>(prompt_tokens->size());
      const kick::generate_options options = generation_options(protocol_, n_prompt_tokens, max_new_tokens_);
      auto generated = context.model.generate_until(prompt, options);
      if (!generated) return std::unexpected(generated.error().with_context(where));
      const std::string output = scored_output(protocol_, prompt, *generated);
      const bool match = matches_any_alias(protocol_, item.aliases, output);
      n_matches += match ? 1 : 0;

      nlohmann::json record = {{"index", i},
                               {"id", nullptr},
                               {"question", item.question},
                               {"prompt", prompt},
                               {"prompt_tokens", n_prompt_tokens},
                               {"output", output},
                               {"aliases", item.aliases},
                               {"match", match}};
      if (item.question_id) record["id"] = *item.question_id;
      // Invalid UTF-8 in a generated output (a byte-level model may produce it) is replaced, not fatal.
      const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (kick::status s = context.samples.write(line); !s.ok()) return std::unexpected(s.with_context(where));
      context.services.progress("factoid-qa items", i + 1, plan.n_evaluated);
    }

    const exact_match_score score = score_exact_match(n_matches, plan.n_evaluated, plan.divisor);
    kick::task_result r;
    r.metrics.push_back({"exact_match", "none", score.value, score.standard_error, true});
    r.n_samples_original = n_items;
    r.n_samples_effective = plan.n_evaluated;
    r.details = {{"protocol", to_string(protocol_)},
                 {"prompt_style", to_string(prompt_style_)},
                 {"items", std::to_string(plan.n_evaluated)},
                 {"matches", std::to_string(n_matches)},
                 {"divisor", std::to_string(plan.divisor)},
                 {"max_new_tokens", protocol_ == protocol::kick ? std::to_string(max_new_tokens_) : "2 x prompt tokens"},
                 {"dataset_name", dataset->name},
                 {"dataset_version", dataset->version}};
    return r;
  }

 private:
  protocol protocol_ = protocol::kick;
  prompt_style prompt_style_ = prompt_style::code;
  std::int64_t max_new_tokens_ = 32;
};

}  // namespace

KICK_TASK_PLUGIN(factoid_qa_task, "factoid-qa", "0.1.0")
