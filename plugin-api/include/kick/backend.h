// kick plugin API: backends execute a Llama-family forward pass on some device.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kick/model.h"
#include "kick/status.h"

namespace kick {

enum class logits_mode : int {
  last = 0,  // logits of the last evaluated position only
  all = 1,   // logits of every evaluated position
};

// One sequence's state on a device: the weights (shared with the backend) and a KV cache.
class model_runner {
 public:
  virtual ~model_runner() = default;

  // Positions the KV cache can hold.
  virtual std::int64_t context_length() const = 0;
  // Logits per position (the model's n_vocab).
  virtual std::int64_t vocab_size() const = 0;

  // Evaluates `tokens` at positions [n_past, n_past + tokens.size()) with a causal mask.
  // Cache entries at positions >= n_past are discarded first, so a caller can rewind to reuse a
  // shared prefix. Writes n_vocab floats per returned position into logits_out (one position
  // for logits_mode::last, tokens.size() for logits_mode::all), row-major.
  // Errors: out_of_range when n_past + tokens.size() > context_length() or n_past is past the
  // cached length; invalid_argument for a token id outside [0, n_vocab) or a short logits_out.
  virtual status eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode,
                      std::span<float> logits_out) = 0;

  // Scoring without the logits: evaluates `tokens` as eval does and, for every i, writes
  // logprob_out[i] = log softmax(logits of position n_past + i)[targets[i]] (natural log) and
  // argmax_out[i] = the index of that position's largest logit (the lowest one on ties). A backend
  // may compute this on its device and return two numbers per position instead of n_vocab; this
  // default computes it from eval's logits in double precision. Errors: those of eval, and
  // invalid_argument when the spans' lengths differ or a target is outside [0, vocab_size()).
  virtual status score(std::span<const std::int32_t> tokens, std::int64_t n_past, std::span<const std::int32_t> targets,
                       std::span<double> logprob_out, std::span<std::int32_t> argmax_out);
};

// A linear layer's weight as a backend's kernels take it: a dense 2-D tensor or a compressed one.
struct linear_weight {
  const tensor_view* dense = nullptr;              // set for a dense weight
  const compressed_weight* compressed = nullptr;   // set for a compressed weight (kick/formats.h)
};

// One timed kernel: y = x W^T for n_tokens activation rows.
struct kernel_timing {
  double median_seconds = 0.0;     // one product, median over the timed repeats
  double min_seconds = 0.0;
  std::int64_t weight_bytes = 0;   // bytes of W as this backend stores and reads it
  std::string kernel;              // which kernel ran, e.g. "matvec nm 2:4 (f32 values)"
};

struct runner_options {
  std::int64_t n_ctx = 0;  // KV cache positions; 0 means the model's trained context
};

class backend {
 public:
  virtual ~backend() = default;

  // One line naming the device, e.g. "cpu: 2 threads, avx512f".
  virtual std::string describe() const = 0;

  // Prepares `model` for execution. The view stays valid for the runner's whole life.
  virtual result<std::unique_ptr<model_runner>> load(const model_view& model, const runner_options& options) = 0;

  // The devices this backend can run on, one line each ("0: NVIDIA H100 (discrete, 80 GiB)").
  virtual result<std::vector<std::string>> devices() const { return std::vector<std::string>{describe()}; }

  // Times the backend's linear-layer kernel on `weight` (random activations, n_tokens rows): `warmup`
  // untimed products, then `repeats` timed ones. unimplemented when the backend has no kernel timer.
  virtual result<kernel_timing> time_linear(const linear_weight& weight, std::int64_t n_tokens, int warmup, int repeats) {
    (void)weight, (void)n_tokens, (void)warmup, (void)repeats;
    return fail(status_code::unimplemented, describe() + ": no kernel timer");
  }

  // Measured bandwidth of a large device-memory copy (bytes read per second): the ceiling of a
  // decode kernel, which reads every weight byte once.
  virtual result<double> copy_bandwidth() {
    return fail(status_code::unimplemented, describe() + ": no bandwidth probe");
  }
};

// log softmax(row)[index] in double precision, and the index of row's largest value (the lowest on ties).
inline double log_softmax_at(const float* row, std::int64_t n, std::int64_t index) {
  float max_value = row[0];
  for (std::int64_t i = 1; i < n; ++i) max_value = row[i] > max_value ? row[i] : max_value;
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(row[i]) - max_value);
  return static_cast<double>(row[index]) - max_value - std::log(sum);
}

inline std::int64_t argmax_of(const float* row, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) {
    if (row[i] > row[best]) best = i;
  }
  return best;
}

// Checks eval()'s arguments for a runner whose cache holds n_cached of n_ctx positions: mode,
// token count and ids, n_past, and room for the logits rows the mode returns (out_of_range or
// invalid_argument naming the value). score() passes mode last and no logits buffer check
// (n_logits_floats < 0).
inline status check_eval_args(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode, std::int64_t n_cached,
                              std::int64_t n_ctx, std::int64_t n_vocab, std::int64_t n_logits_floats) {
  const auto n_tokens = static_cast<std::int64_t>(tokens.size());
  if (mode != logits_mode::last && mode != logits_mode::all) {
    return status(status_code::invalid_argument, "logits mode " + std::to_string(static_cast<int>(mode)) + " is not last (0) or all (1)");
  }
  if (n_tokens == 0) return status(status_code::invalid_argument, "no tokens to evaluate");
  if (n_past < 0 || n_past > n_cached) {
    return status(status_code::out_of_range,
                  "n_past " + std::to_string(n_past) + " is outside [0, " + std::to_string(n_cached) + "], the cached positions");
  }
  if (n_tokens > n_ctx - n_past) {
    return status(status_code::out_of_range, "n_past " + std::to_string(n_past) + " + " + std::to_string(n_tokens) +
                                                 " tokens exceeds the context length " + std::to_string(n_ctx));
  }
  for (std::int64_t i = 0; i < n_tokens; ++i) {
    const std::int32_t t = tokens[static_cast<std::size_t>(i)];
    if (t < 0 || t >= n_vocab) {
      return status(status_code::invalid_argument, "token " + std::to_string(i) + " has id " + std::to_string(t) + ", outside [0, " +
                                                       std::to_string(n_vocab) + ")");
    }
  }
  const std::int64_t n_out = mode == logits_mode::all ? n_tokens : 1;
  if (n_logits_floats >= 0 && n_logits_floats / n_vocab < n_out) {
    return status(status_code::invalid_argument, "logits buffer holds " + std::to_string(n_logits_floats) + " floats, " +
                                                     std::to_string(n_out) + " positions x " + std::to_string(n_vocab) + " vocabulary need " +
                                                     std::to_string(n_out * n_vocab));
  }
  return status::success();
}

// Checks score()'s arguments (lengths, target range).
inline status check_score_args(std::size_t n_tokens, std::span<const std::int32_t> targets, std::size_t n_logprob, std::size_t n_argmax,
                               std::int64_t n_vocab) {
  if (targets.size() != n_tokens || n_logprob != n_tokens || n_argmax != n_tokens) {
    return status(status_code::invalid_argument, "score: tokens, targets, logprob_out and argmax_out differ in length (" +
                                                     std::to_string(n_tokens) + ", " + std::to_string(targets.size()) + ", " +
                                                     std::to_string(n_logprob) + ", " + std::to_string(n_argmax) + ")");
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i] < 0 || targets[i] >= n_vocab) {
      return status(status_code::invalid_argument, "score: target " + std::to_string(i) + " is " + std::to_string(targets[i]) +
                                                       ", outside [0, " + std::to_string(n_vocab) + ")");
    }
  }
  return status::success();
}

inline status model_runner::score(std::span<const std::int32_t> tokens, std::int64_t n_past, std::span<const std::int32_t> targets,
                                  std::span<double> logprob_out, std::span<std::int32_t> argmax_out) {
  const std::int64_t n_vocab = vocab_size();
  if (status s = check_score_args(tokens.size(), targets, logprob_out.size(), argmax_out.size(), n_vocab); !s.ok()) return s;
  std::vector<float> logits(tokens.size() * static_cast<std::size_t>(n_vocab));
  if (status s = eval(tokens, n_past, logits_mode::all, logits); !s.ok()) return s;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const float* row = logits.data() + i * static_cast<std::size_t>(n_vocab);
    logprob_out[i] = log_softmax_at(row, n_vocab, targets[i]);
    argmax_out[i] = static_cast<std::int32_t>(argmax_of(row, n_vocab));
  }
  return status::success();
}

}  // namespace kick
