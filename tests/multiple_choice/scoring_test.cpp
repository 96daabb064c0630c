// Scoring rules on hand-written outputs and the aggregation arithmetic.
#include <catch2/catch.hpp>
#include <cmath>

#include "mc_scoring.h"

using kick::mc::item_outcome;
using kick::mc::letter_prediction;
using kick::mc::protocol;

TEST_CASE("scoring: the generated letter, kick protocol", "[multiple_choice][scoring]") {
  const std::string prompt = "...\nAnswer:";
  CHECK(letter_prediction(prompt, " B", protocol::kick) == "B");
  CHECK(letter_prediction(prompt, "B", protocol::kick) == "B");
  CHECK(letter_prediction(prompt, " B\n", protocol::kick) == "B");
  CHECK(letter_prediction(prompt, " Bob", protocol::kick) == "Bob");  // strict: not the letter
  CHECK(letter_prediction(prompt, "", protocol::kick).empty());
  CHECK(letter_prediction(prompt, " ", protocol::kick).empty());
  CHECK(letter_prediction(prompt, "\u00a0B\x1c", protocol::kick) == "B");  // Python's str.strip(): Unicode whitespace
}

TEST_CASE("scoring: the generated letter, llm-kick-code's last character", "[multiple_choice][scoring]") {
  const std::string prompt = "...\nAnswer:";
  CHECK(letter_prediction(prompt, " B", protocol::llm_kick_code) == "B");
  CHECK(letter_prediction(prompt, " Bob", protocol::llm_kick_code) == "b");
  CHECK(letter_prediction(prompt, " AC", protocol::llm_kick_code) == "C");  // the code's quirk: counted as C
  CHECK(letter_prediction(prompt, "", protocol::llm_kick_code) == ":");     // EOS: the prompt's last character
  CHECK(letter_prediction(prompt, " B\n", protocol::llm_kick_code) == "\n");
  CHECK(letter_prediction(prompt, " \xC3\xA9", protocol::llm_kick_code) == "\xC3\xA9");  // a whole code point
}

TEST_CASE("scoring: argmax takes the first of ties; acc_norm divides by characters", "[multiple_choice][scoring]") {
  const std::vector<double> ll = {-3.0, -1.0, -1.0, -2.0};
  CHECK(kick::mc::argmax_first(ll) == 1);
  const std::vector<std::string> letters = {"A", "B", "C", "D"};
  CHECK(kick::mc::argmax_normalized(ll, letters) == kick::mc::argmax_first(ll));
  // Longer choices are favoured once normalised: -3/6 = -0.5 beats -1/1.
  const std::vector<std::string> texts = {"longer", "B", "C", "D"};
  CHECK(kick::mc::argmax_normalized(ll, texts) == 0);
  // Length counts code points, not bytes: "\xC3\xA9\xC3\xA9" is 2 characters, -2.2/2 = -1.1 loses to -1.0.
  const std::vector<double> ll2 = {-2.2, -1.0};
  const std::vector<std::string> accented = {"\xC3\xA9\xC3\xA9", "x"};
  CHECK(kick::mc::argmax_normalized(ll2, accented) == 1);
}

TEST_CASE("scoring: tally mean and standard error", "[multiple_choice][scoring]") {
  kick::mc::tally t;
  CHECK_FALSE(t.standard_error());
  t.add(true);
  CHECK(t.mean() == 1.0);
  CHECK_FALSE(t.standard_error());  // n = 1
  t.add(false);
  t.add(false);
  t.add(true);
  CHECK(t.mean() == 0.5);
  // sample standard deviation of {1,0,0,1} over sqrt(n): sqrt(1/3)/2
  CHECK(*t.standard_error() == Approx(std::sqrt(1.0 / 3.0) / 2.0));
}

TEST_CASE("scoring: micro averages per category, subcategory and subject", "[multiple_choice][scoring]") {
  // astronomy and college_physics are STEM/physics, abstract_algebra STEM/math, philosophy is
  // humanities, kw_fiction (unknown) goes to other.
  std::vector<item_outcome> items;
  const auto add = [&](const char* subject, std::initializer_list<int> outcomes) {
    for (int o : outcomes) items.push_back({subject, o == 1});
  };
  add("astronomy", {1, 1, 0});
  add("college_physics", {1});
  add("abstract_algebra", {0, 0, 0, 1});
  add("philosophy", {0, 1});
  add("kw_fiction", {1, 1, 1, 0, 0});
  std::vector<kick::metric_value> metrics;
  kick::mc::append_grouped_metrics(metrics, "acc", items);
  std::map<std::string, kick::metric_value> by_filter;
  for (const auto& m : metrics) {
    CHECK(m.name == "acc");
    CHECK(m.higher_is_better);
    CHECK(by_filter.emplace(m.filter, m).second);  // no filter twice
  }
  const auto value = [&](const std::string& filter) {
    INFO(filter);
    REQUIRE(by_filter.count(filter) == 1);
    return by_filter.at(filter).value;
  };
  CHECK(value("none") == Approx(8.0 / 15.0));           // micro: all 15 items
  CHECK(value("category:STEM") == Approx(4.0 / 8.0));   // 3 + 1 + 4 items, not the mean of subject means
  CHECK(value("category:humanities") == Approx(0.5));
  CHECK(value("category:other") == Approx(3.0 / 5.0));
  CHECK(value("subcategory:physics") == Approx(3.0 / 4.0));
  CHECK(value("subcategory:math") == Approx(0.25));
  CHECK(value("subcategory:philosophy") == Approx(0.5));
  CHECK(value("subject:astronomy") == Approx(2.0 / 3.0));
  CHECK(value("subject:kw_fiction") == Approx(0.6));
  CHECK(by_filter.count("subcategory:kw_fiction") == 0);  // it would only repeat the subject
  CHECK(by_filter.count("category:social sciences") == 0);  // no items, no metric
  CHECK(metrics.size() == 1 + 3 + 3 + 5);
  CHECK(metrics.front().filter == "none");
  const double p = 8.0 / 15.0;
  CHECK(*by_filter.at("none").standard_error == Approx(std::sqrt(p * (1 - p) / 14.0)));
  CHECK_FALSE(by_filter.at("subject:college_physics").standard_error);  // one item
}
