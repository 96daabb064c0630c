// The greedy pair merge of SentencePiece's BPE model (also llama.cpp's SPM tokenizer and
// llama2.c's encode()): starting from initial symbols, repeatedly merge the adjacent pair whose
// concatenation is a vocabulary piece with the highest score, the leftmost pair on ties, until
// no pair can merge. Runs in O(n log n) with a priority queue of candidate pairs whose stale
// entries are skipped when popped, one segment of the text at a time (see joinable_bytes).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tokenizer/spm_vocab.h"

namespace kick {

// The byte length of the UTF-8 character that starts with `lead` as SentencePiece and llama.cpp
// count it (from the high nibble; a stray continuation byte counts as 1).
inline std::size_t utf8_char_size(char lead) {
  static constexpr std::uint8_t k_sizes[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return k_sizes[static_cast<std::uint8_t>(lead) >> 4];
}

struct spm_initial_symbol {
  std::uint32_t size_bytes = 0;
  bool frozen = false;  // never merged (SentencePiece's user-defined symbols)
};

struct spm_merge_rules {
  // Bit (1 << type) set for each token type a pair may merge into.
  std::uint32_t mergeable_types = 0;
  // Pairs whose piece scores at or below this never merge (llama2.c starts from -1e10).
  std::optional<float> min_score_exclusive;
  // Record how each piece of type `unused` was formed (for SentencePiece's resegmentation).
  bool record_unused_splits = false;
  // Bit a * 256 + b is set when bytes a, b occur adjacently in some mergeable piece. A merge
  // across a boundary puts its two bytes adjacent inside a piece, so boundaries whose byte pair
  // is absent can never be merged across: the text is merged as independent segments cut there
  // (the same result as one pass, with small queues that stay in cache).
  std::bitset<256 * 256> joinable_bytes;
};

constexpr std::uint32_t spm_type_bit(spm_token_type type) { return 1u << static_cast<unsigned>(type); }

// Rules whose joinable_bytes come from the pieces of `vocab` of the mergeable types.
spm_merge_rules make_spm_merge_rules(const spm_vocab& vocab, std::uint32_t mergeable_types,
                                     std::optional<float> min_score_exclusive, bool record_unused_splits);

struct spm_merge_result {
  std::vector<std::string_view> pieces;  // the final symbols, in order (views into the text)
  // For merged pieces of type unused: the two symbols whose merge formed them.
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unused_splits;
};

// Merges `text`, split into `initial` symbols (each at least one byte) whose sizes add up to
// text.size() (at most 2^31 - 1 bytes), under `rules` and the scores of `vocab`.
spm_merge_result spm_merge(std::string_view text, std::span<const spm_initial_symbol> initial,
                           const spm_vocab& vocab, const spm_merge_rules& rules);

}  // namespace kick
