// Turning a run-time token count into a kernel's compile-time template argument.
#pragma once

#include <cstdint>
#include <utility>

namespace kick::cpu {

// Calls f.template operator()<T>() with T = n_tokens for n_tokens in [1, Max), and T = Max for
// every other count: the kernels keep one accumulator set per token in registers.
template <int Max, int T = 1, class F>
inline void with_token_count(std::int64_t n_tokens, F&& f) {
  if constexpr (T >= Max) {
    f.template operator()<Max>();
  } else if (n_tokens == T) {
    f.template operator()<T>();
  } else {
    with_token_count<Max, T + 1>(n_tokens, std::forward<F>(f));
  }
}

}  // namespace kick::cpu
