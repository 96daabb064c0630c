// Unicode facts behind Python's str.lower() and re's \w, as python_text.h needs them;
// generated into unicode_tables.cpp by gen_unicode_tables.py. Every table is sorted by
// `first` and its ranges do not overlap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kick::text::tables {

// Every `stride`-th code point of [first, last] (stride 1 or 2) lower-cases to cp + delta.
struct case_range {
  std::uint32_t first;
  std::uint32_t last;
  std::int32_t delta;
  std::uint32_t stride;
};

struct code_range {
  std::uint32_t first;
  std::uint32_t last;
};

extern const case_range k_lowercase[];
extern const std::size_t k_lowercase_size;
extern const code_range k_word[];             // non-ASCII code points matched by Python's \w
extern const std::size_t k_word_size;
extern const code_range k_cased[];            // Unicode Cased
extern const std::size_t k_cased_size;
extern const code_range k_case_ignorable[];   // Unicode Case_Ignorable
extern const std::size_t k_case_ignorable_size;

}  // namespace kick::text::tables
