// Multiple-choice task: MMLU in the Hendrycks CSV layout, k-shot with the Hendrycks/LLM-KICK
// prompt, scored by one generated letter (acc_letter, the paper's way) and by the log-likelihood
// of each choice (acc, acc_norm, lm-evaluation-harness's way), with micro averages over all
// items, per category, per subcategory and per subject. Documentation: notes tasks-multiple-choice.md.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "kick/plugin.h"
#include "mc_prompt.h"
#include "mc_scoring.h"
#include "mmlu_dataset.h"
#include "text_util.h"

namespace {

using kick::fail;
using kick::status_code;
using namespace kick::mc;

// The continuations scored for acc/acc_norm (lm-eval's target_delimiter " " + choice) and the
// choice texts whose lengths normalise acc_norm.
const std::array<std::string, 4> k_continuations = {" A", " B", " C", " D"};
const std::array<std::string, 4> k_choice_texts = {"A", "B", "C", "D"};

// One JSON line; invalid UTF-8 (a generated partial character, odd bytes in a CSV) is replaced
// rather than failing the run.
std::string dump_record(const nlohmann::json& record) {
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct subject_data {
  std::string name;
  std::string test_file;
  std::vector<mc_question> shots;  // the first n_shot rows of the dev file
  std::vector<mc_question> items;  // test rows, file order
};

class multiple_choice_task final : public kick::task {
 public:
  static kick::result<std::unique_ptr<multiple_choice_task>> create(const kick::host&, const kick::param_map& params) {
    auto task = std::make_unique<multiple_choice_task>();
    task->protocol_ = params.get_string("protocol").value_or("kick") == "llm-kick-code" ? protocol::llm_kick_code : protocol::kick;
    task->n_shot_ = params.get_int("n_shot").value_or(5);
    task->max_context_tokens_ = params.get_int("max_context_tokens").value_or(2048);
    const std::string scoring = params.get_string("scoring").value_or("both");
    task->generate_ = scoring != "loglikelihood";
    task->loglikelihood_ = scoring != "generate";
    task->subjects_ = params.get_string("subjects").value_or("");
    task->split_ = params.get_string("split").value_or("test");
    task->limit_per_subject_ = params.get_string("limit_scope").value_or("total") == "subject";
    if (task->n_shot_ < 0) return fail(status_code::invalid_argument, "parameter 'n_shot' must be >= 0");
    if (task->max_context_tokens_ < 1) return fail(status_code::invalid_argument, "parameter 'max_context_tokens' must be >= 1");
    return task;
  }

  kick::result<kick::task_result> run(kick::task_context& context) override {
    if (context.dataset_path.empty()) {
      return fail(status_code::invalid_argument, "multiple-choice needs a dataset: the Hendrycks MMLU directory (dev/, test/)");
    }
    auto subjects = load(context.dataset_path);
    if (!subjects) return std::unexpected(subjects.error());

    std::int64_t n_total = 0, n_planned = 0;
    for (const subject_data& s : *subjects) {
      const auto n = static_cast<std::int64_t>(s.items.size());
      n_total += n;
      n_planned += limit_per_subject_ && context.limit > 0 ? std::min(n, context.limit) : n;
    }
    if (!limit_per_subject_ && context.limit > 0) n_planned = std::min(n_planned, context.limit);

    const std::int64_t max_tokens = std::min(max_context_tokens_, context.model.context_length());
    if (max_tokens < max_context_tokens_) {
      context.services.log(kick::log_level::info, concat("max_context_tokens ", std::to_string(max_context_tokens_),
                                                         " capped at the model's context of ", std::to_string(max_tokens)));
    }
    const token_counter count_tokens = [&](std::string_view text) -> kick::result<std::int64_t> {
      auto tokens = context.model.tokenize(text, true);
      if (!tokens) return std::unexpected(tokens.error());
      return static_cast<std::int64_t>(tokens->size());
    };

    std::vector<item_outcome> letter_outcomes, ll_outcomes, norm_outcomes;
    std::int64_t n_done = 0, n_skipped = 0, n_fewer_shots = 0, shots_used = 0;
    for (const subject_data& s : *subjects) {
      std::int64_t n_subject = static_cast<std::int64_t>(s.items.size());
      if (context.limit > 0) n_subject = std::min(n_subject, limit_per_subject_ ? context.limit : n_planned - n_done);
      for (std::int64_t i = 0; i < n_subject; ++i) {
        const mc_question& item = s.items[static_cast<std::size_t>(i)];
        const std::string where = concat("subject ", s.name, " item ", std::to_string(i));
        std::int64_t zero_shot_tokens = 0;
        auto fitted = fit_prompt(s.name, s.shots, static_cast<std::size_t>(n_shot_), item, protocol_, max_tokens, count_tokens,
                                 &zero_shot_tokens);
        if (!fitted) return std::unexpected(fitted.error().with_context(where));
        nlohmann::json record = {{"subject", s.name}, {"index", i}, {"gold", letter(item.answer)}};
        ++n_done;
        if (!fitted->has_value()) {
          ++n_skipped;
          const std::string why = concat("the zero-shot prompt has ", std::to_string(zero_shot_tokens), " tokens, more than ",
                                         std::to_string(max_tokens));
          context.services.log(kick::log_level::warn, concat("dataset '", s.test_file, "' line ", std::to_string(item.line),
                                                             ": skipped: ", why));
          record["skipped"] = why;
          if (kick::status st = context.samples.write(dump_record(record)); !st.ok()) return std::unexpected(st);
          context.services.progress("multiple-choice items", n_done, n_planned);
          continue;
        }
        const fitted_prompt& prompt = **fitted;
        shots_used += static_cast<std::int64_t>(prompt.n_shot);
        if (prompt.n_shot < std::min(static_cast<std::size_t>(n_shot_), s.shots.size())) ++n_fewer_shots;
        if (i == 0) record["prompt"] = prompt.text;
        record["n_shot"] = prompt.n_shot;
        record["prompt_tokens"] = prompt.n_tokens;
        if (generate_) {
          auto generated = context.model.generate_until(prompt.text, {1, {}});
          if (!generated) return std::unexpected(generated.error().with_context(where));
          const std::string prediction = letter_prediction(prompt.text, *generated, protocol_);
          const bool correct = prediction == letter(item.answer);
          letter_outcomes.push_back({s.name, correct});
          record["generated"] = *generated;
          record["prediction"] = prediction;
          record["letter_correct"] = correct;
        }
        if (loglikelihood_) {
          std::array<double, 4> logprobs{};
          for (std::size_t c = 0; c < 4; ++c) {
            auto ll = context.model.loglikelihood(prompt.text, k_continuations[c]);
            if (!ll) return std::unexpected(ll.error().with_context(where));
            logprobs[c] = ll->logprob;
          }
          const auto gold = static_cast<std::size_t>(item.answer);
          const bool correct = argmax_first(logprobs) == gold;
          const bool norm_correct = argmax_normalized(logprobs, k_choice_texts) == gold;
          ll_outcomes.push_back({s.name, correct});
          norm_outcomes.push_back({s.name, norm_correct});
          record["loglikelihoods"] = logprobs;
          record["ll_correct"] = correct;
          record["ll_norm_correct"] = norm_correct;
        }
        if (kick::status st = context.samples.write(dump_record(record)); !st.ok()) return std::unexpected(st);
        context.services.progress("multiple-choice items", n_done, n_planned);
      }
    }
    const std::int64_t n_scored = n_done - n_skipped;
    if (n_scored == 0) {
      return fail(status_code::invalid_argument, concat("dataset '", context.dataset_path, "': no item fits in ",
                                                        std::to_string(max_tokens), " tokens, even with no shots"));
    }

    kick::task_result r;
    if (generate_) append_grouped_metrics(r.metrics, "acc_letter", letter_outcomes);
    if (loglikelihood_) {
      append_grouped_metrics(r.metrics, "acc", ll_outcomes);
      append_grouped_metrics(r.metrics, "acc_norm", norm_outcomes);
    }
    r.n_samples_original = n_total;
    r.n_samples_effective = n_scored;
    r.details = {{"protocol", protocol_ == protocol::kick ? "kick" : "llm-kick-code"},
                 {"split", split_},
                 {"subjects", std::to_string(subjects->size())},
                 {"n_shot", std::to_string(n_shot_)},
                 {"max_prompt_tokens", std::to_string(max_tokens)},
                 {"items_with_fewer_shots", std::to_string(n_fewer_shots)},
                 {"mean_shots", std::to_string(static_cast<double>(shots_used) / static_cast<double>(n_scored))},
                 {"skipped_prompt_too_long", std::to_string(n_skipped)}};
    return r;
  }

 private:
  // Reads every selected subject's test (or val) rows and the first n_shot dev rows, so that a
  // malformed file fails the task before the model runs.
  kick::result<std::vector<subject_data>> load(const std::string& root) const {
    auto available = list_subjects(root, split_);
    if (!available) return std::unexpected(available.error());
    auto names = select_subjects(*available, subjects_, root);
    if (!names) return std::unexpected(names.error());
    const cell_style style = protocol_ == protocol::llm_kick_code ? cell_style::pandas : cell_style::verbatim;
    std::vector<subject_data> out;
    for (const std::string& name : *names) {
      subject_data s;
      s.name = name;
      s.test_file = split_file(root, split_, name).string();
      auto items = read_questions(s.test_file, style);
      if (!items) return std::unexpected(items.error());
      s.items = std::move(*items);
      if (n_shot_ > 0) {
        const std::string dev_file = split_file(root, "dev", name).string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(dev_file, ec)) {
          return fail(status_code::not_found, concat("dataset '", root, "': subject '", name, "' has no dev file '", dev_file,
                                                     "' for its few-shot examples (set n_shot = 0 to go without)"));
        }
        auto shots = read_questions(dev_file, style);
        if (!shots) return std::unexpected(shots.error());
        if (static_cast<std::int64_t>(shots->size()) > n_shot_) shots->resize(static_cast<std::size_t>(n_shot_));
        s.shots = std::move(*shots);
      }
      out.push_back(std::move(s));
    }
    return out;
  }

  protocol protocol_ = protocol::kick;
  std::int64_t n_shot_ = 5;
  std::int64_t max_context_tokens_ = 2048;
  bool generate_ = true;
  bool loglikelihood_ = true;
  std::string subjects_;
  std::string split_ = "test";
  bool limit_per_subject_ = false;
};

}  // namespace

KICK_TASK_PLUGIN(multiple_choice_task, "multiple-choice", "0.1.0")
