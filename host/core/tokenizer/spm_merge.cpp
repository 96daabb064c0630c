#include "core/tokenizer/spm_merge.h"

#include <queue>

namespace kick {
namespace {

struct symbol {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;  // 0 once merged into its left neighbour
  std::int32_t prev = -1;
  std::int32_t next = -1;
  bool frozen = false;
};

struct candidate {
  float score = 0.0f;
  std::int32_t left = 0;
  std::int32_t right = 0;
  std::uint32_t size = 0;  // left.size + right.size when queued; a mismatch marks it stale
  std::int32_t token = 0;
};

// Orders the queue: highest score first, then the leftmost pair.
struct lower_priority {
  bool operator()(const candidate& a, const candidate& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class merger {
 public:
  merger(std::string_view text, const spm_vocab& vocab, const spm_merge_rules& rules)
      : text_(text), vocab_(vocab), rules_(rules) {}

  spm_merge_result run(std::span<const spm_initial_symbol> initial) {
    symbols_.reserve(initial.size());
    std::uint32_t offset = 0;
    for (const spm_initial_symbol& s : initial) {
      symbols_.push_back({offset, s.size_bytes, -1, -1, s.frozen});
      offset += s.size_bytes;
    }
    const auto n = static_cast<std::int32_t>(symbols_.size());
    std::int32_t begin = 0;
    for (std::int32_t i = 1; i < n; ++i) {
      if (!joinable(at(i - 1), at(i))) {
        merge_segment(begin, i);
        begin = i;
      }
    }
    if (n > 0) merge_segment(begin, n);
    return std::move(result_);
  }

 private:
  symbol& at(std::int32_t i) { return symbols_[static_cast<std::size_t>(i)]; }

  // Whether a merge could ever join the adjacent symbols `l` and `r`.
  bool joinable(const symbol& l, const symbol& r) const {
    if (l.frozen || r.frozen) return false;
    const auto a = static_cast<std::uint8_t>(text_[l.offset + l.size - 1]);
    const auto b = static_cast<std::uint8_t>(text_[r.offset]);
    return rules_.joinable_bytes.test(std::size_t{a} * 256 + b);
  }

  // Merges symbols [begin, end) to completion and appends the resulting pieces.
  void merge_segment(std::int32_t begin, std::int32_t end) {
    for (std::int32_t i = begin; i < end; ++i) {
      at(i).prev = i > begin ? i - 1 : -1;
      at(i).next = i + 1 < end ? i + 1 : -1;
    }
    for (std::int32_t i = begin + 1; i < end; ++i) try_add(i - 1, i);
    while (!queue_.empty()) {
      const candidate c = queue_.top();
      queue_.pop();
      symbol& left = at(c.left);
      symbol& right = at(c.right);
      if (left.size == 0 || right.size == 0 || left.size + right.size != c.size) continue;  // stale
      if (rules_.record_unused_splits && vocab_.type(c.token) == spm_token_type::unused) {
        result_.unused_splits[view(c.left, c.size)] = {view(c.left, left.size), view(c.right, right.size)};
      }
      left.size += right.size;
      right.size = 0;
      left.next = right.next;
      if (left.next >= 0) at(left.next).prev = c.left;
      try_add(left.prev, c.left);
      try_add(c.left, left.next);
    }
    // The leftmost symbol absorbs its right neighbours, so the segment's chain starts at begin.
    for (std::int32_t i = begin; i >= 0; i = at(i).next) result_.pieces.push_back(view(i, at(i).size));
  }

  std::string_view view(std::int32_t i, std::uint32_t size) const {
    return text_.substr(symbols_[static_cast<std::size_t>(i)].offset, size);
  }

  void try_add(std::int32_t left, std::int32_t right) {
    if (left < 0 || right < 0) return;
    const symbol& l = at(left);
    const symbol& r = at(right);
    if (l.frozen || r.frozen) return;
    const std::uint32_t size = l.size + r.size;
    const std::int32_t token = vocab_.find(view(left, size));
    if (token < 0) return;
    if ((rules_.mergeable_types & spm_type_bit(vocab_.type(token))) == 0) return;
    const float score = vocab_.score(token);
    if (rules_.min_score_exclusive && !(score > *rules_.min_score_exclusive)) return;
    queue_.push({score, left, right, size, token});
  }

  std::string_view text_;
  const spm_vocab& vocab_;
  const spm_merge_rules& rules_;
  std::vector<symbol> symbols_;
  std::priority_queue<candidate, std::vector<candidate>, lower_priority> queue_;
  spm_merge_result result_;
};

}  // namespace

spm_merge_rules make_spm_merge_rules(const spm_vocab& vocab, std::uint32_t mergeable_types,
                                     std::optional<float> min_score_exclusive, bool record_unused_splits) {
  spm_merge_rules rules;
  rules.mergeable_types = mergeable_types;
  rules.min_score_exclusive = min_score_exclusive;
  rules.record_unused_splits = record_unused_splits;
  for (std::int32_t t = 0; t < vocab.size(); ++t) {
    if ((mergeable_types & spm_type_bit(vocab.type(t))) == 0) continue;
    const std::string& p = vocab.piece(t);
    for (std::size_t i = 1; i < p.size(); ++i) {
      rules.joinable_bytes.set(std::size_t{static_cast<std::uint8_t>(p[i - 1])} * 256 + static_cast<std::uint8_t>(p[i]));
    }
  }
  return rules;
}

spm_merge_result spm_merge(std::string_view text, std::span<const spm_initial_symbol> initial,
                           const spm_vocab& vocab, const spm_merge_rules& rules) {
  return merger(text, vocab, rules).run(initial);
}

}  // namespace kick
