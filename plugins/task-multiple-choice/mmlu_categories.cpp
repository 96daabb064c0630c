#include "mmlu_categories.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

namespace kick::mc {

namespace {

using pair = std::pair<std::string_view, std::string_view>;

// subject -> subcategory (each MMLU subject has exactly one).
constexpr std::array<pair, 57> k_subcategories = {{
    {"abstract_algebra", "math"},
    {"anatomy", "health"},
    {"astronomy", "physics"},
    {"business_ethics", "business"},
    {"clinical_knowledge", "health"},
    {"college_biology", "biology"},
    {"college_chemistry", "chemistry"},
    {"college_computer_science", "computer science"},
    {"college_mathematics", "math"},
    {"college_medicine", "health"},
    {"college_physics", "physics"},
    {"computer_security", "computer science"},
    {"conceptual_physics", "physics"},
    {"econometrics", "economics"},
    {"electrical_engineering", "engineering"},
    {"elementary_mathematics", "math"},
    {"formal_logic", "philosophy"},
    {"global_facts", "other"},
    {"high_school_biology", "biology"},
    {"high_school_chemistry", "chemistry"},
    {"high_school_computer_science", "computer science"},
    {"high_school_european_history", "history"},
    {"high_school_geography", "geography"},
    {"high_school_government_and_politics", "politics"},
    {"high_school_macroeconomics", "economics"},
    {"high_school_mathematics", "math"},
    {"high_school_microeconomics", "economics"},
    {"high_school_physics", "physics"},
    {"high_school_psychology", "psychology"},
    {"high_school_statistics", "math"},
    {"high_school_us_history", "history"},
    {"high_school_world_history", "history"},
    {"human_aging", "health"},
    {"human_sexuality", "culture"},
    {"international_law", "law"},
    {"jurisprudence", "law"},
    {"logical_fallacies", "philosophy"},
    {"machine_learning", "computer science"},
    {"management", "business"},
    {"marketing", "business"},
    {"medical_genetics", "health"},
    {"miscellaneous", "other"},
    {"moral_disputes", "philosophy"},
    {"moral_scenarios", "philosophy"},
    {"nutrition", "health"},
    {"philosophy", "philosophy"},
    {"prehistory", "history"},
    {"professional_accounting", "other"},
    {"professional_law", "law"},
    {"professional_medicine", "health"},
    {"professional_psychology", "psychology"},
    {"public_relations", "politics"},
    {"security_studies", "politics"},
    {"sociology", "culture"},
    {"us_foreign_policy", "politics"},
    {"virology", "health"},
    {"world_religions", "philosophy"},
}};

// subcategory -> category.
constexpr std::array<pair, 17> k_categories = {{
    {"physics", "STEM"},
    {"chemistry", "STEM"},
    {"biology", "STEM"},
    {"computer science", "STEM"},
    {"math", "STEM"},
    {"engineering", "STEM"},
    {"history", "humanities"},
    {"philosophy", "humanities"},
    {"law", "humanities"},
    {"politics", "social sciences"},
    {"culture", "social sciences"},
    {"economics", "social sciences"},
    {"geography", "social sciences"},
    {"psychology", "social sciences"},
    {"other", "other"},
    {"business", "other"},
    {"health", "other"},
}};

const pair* find(std::span<const pair> table, std::string_view key) {
  const auto it = std::find_if(table.begin(), table.end(), [&](const pair& p) { return p.first == key; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace

bool is_mmlu_subject(std::string_view subject) { return find(k_subcategories, subject) != nullptr; }

subject_group group_of(std::string_view subject) {
  const pair* sub = find(k_subcategories, subject);
  if (sub == nullptr) return {std::string(subject), "other"};
  const pair* cat = find(k_categories, sub->second);
  return {std::string(sub->second), cat == nullptr ? std::string("other") : std::string(cat->second)};
}

}  // namespace kick::mc
