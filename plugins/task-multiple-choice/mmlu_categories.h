// MMLU's subject -> subcategory -> category grouping, as in the Hendrycks evaluation's
// categories.py (also used by the released LLM-KICK code). The four categories are named
// "STEM", "humanities", "social sciences" and "other" (Hendrycks: "other (business, health,
// misc.)"; shortened so that it can stand in a metric filter). A subject outside MMLU's 57 gets
// subcategory = the subject itself and category "other".
#pragma once

#include <string>
#include <string_view>

namespace kick::mc {

struct subject_group {
  std::string subcategory;
  std::string category;
};

subject_group group_of(std::string_view subject);

// Whether `subject` is one of MMLU's 57 subjects.
bool is_mmlu_subject(std::string_view subject);

}  // namespace kick::mc
