// kick plugin API: backends execute a Llama-family forward pass on some device.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

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

  // Evaluates `tokens` at positions [n_past, n_past + tokens.size()) with a causal mask.
  // Cache entries at positions >= n_past are discarded first, so a caller can rewind to reuse a
  // shared prefix. Writes n_vocab floats per returned position into logits_out (one position
  // for logits_mode::last, tokens.size() for logits_mode::all), row-major.
  // Errors: out_of_range when n_past + tokens.size() > context_length() or n_past is past the
  // cached length; invalid_argument for a token id outside [0, n_vocab) or a short logits_out.
  virtual status eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode,
                      std::span<float> logits_out) = 0;
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
};

}  // namespace kick
