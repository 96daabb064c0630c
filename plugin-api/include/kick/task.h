// kick plugin API: tasks turn a dataset into requests to the language-model service and score them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kick/host.h"
#include "kick/lm.h"
#include "kick/status.h"

namespace kick {

// One reported number; lm-evaluation-harness keys it "<name>,<filter>".
struct metric_value {
  std::string name;
  std::string filter = "none";
  double value = 0.0;
  std::optional<double> standard_error;
  bool higher_is_better = true;
};

struct task_result {
  std::vector<metric_value> metrics;
  std::int64_t n_samples_original = 0;   // documents in the dataset
  std::int64_t n_samples_effective = 0;  // documents evaluated (after a limit)
  // Extra facts worth recording (token counts, window counts), as key/value text.
  std::vector<std::pair<std::string, std::string>> details;
};

// Per-sample records (lm-evaluation-harness's samples_<task>.jsonl): the host writes each record
// as one line of <output dir>/samples_<alias>.jsonl, next to results.json.
class sample_sink {
 public:
  // `json_object` must be one JSON object on one line (e.g. prompt, output, gold, score);
  // invalid_argument otherwise.
  virtual status write(std::string_view json_object) = 0;

 protected:
  ~sample_sink() = default;
};

struct task_context {
  lm& model;
  const host& services;
  std::string dataset_path;   // resolved by the host; empty when the run-manifest names none
  std::int64_t limit = 0;     // evaluate at most this many samples (documents; windows for perplexity); 0 = all
  std::uint64_t seed = 0;
  sample_sink& samples;
};

class task {
 public:
  virtual ~task() = default;
  virtual result<task_result> run(task_context& context) = 0;
};

}  // namespace kick
