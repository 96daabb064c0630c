// Exact match and F1 on hand-written predictions, under both protocols.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "qa_scoring.h"

using namespace kick::retrieval;

namespace {

item_score score(const std::string& prediction, const std::vector<std::string>& golds, protocol p) {
  return score_prediction(prediction, golds, p);
}

}  // namespace

TEST_CASE("strict exact match compares normalised strings for equality", "[retrieval][scoring]") {
  CHECK(strict_exact_match("The Taming of a Shrew.", "taming of the shrew"));
  CHECK_FALSE(strict_exact_match("William Shakespeare wrote it", "shakespeare"));
  CHECK_FALSE(strict_exact_match("", "paris"));
  CHECK(strict_exact_match("", "The"));  // both normalise to ""
}

TEST_CASE("lenient exact match is character containment either way", "[retrieval][scoring]") {
  CHECK(lenient_exact_match("William Shakespeare wrote it", "shakespeare"));  // gold in prediction
  CHECK(lenient_exact_match("Paris", "paris france"));                        // prediction in gold
  CHECK(lenient_exact_match("art", "bart simpson"));                          // inside a word
  CHECK_FALSE(lenient_exact_match("London", "paris"));
  CHECK(lenient_exact_match("", "paris"));   // the empty-prediction quirk
  CHECK(lenient_exact_match("A.", "paris"));  // normalises to "" as well
}

TEST_CASE("token F1 is SQuAD's bag-of-tokens F1 on normalised strings", "[retrieval][scoring]") {
  CHECK(token_f1("William Shakespeare wrote it", "shakespeare") == Approx(2.0 * 0.25 * 1.0 / 1.25));  // P 1/4, R 1
  CHECK(token_f1("Paris", "paris france") == Approx(2.0 / 3.0));                                    // P 1, R 1/2
  CHECK(token_f1("new new york", "new york") == Approx(0.8));  // a repeated token counts once per gold token
  CHECK(token_f1("the Beatles", "Beatles") == Approx(1.0));
  CHECK(token_f1("art", "bart simpson") == 0.0);
  CHECK(token_f1("", "paris") == 0.0);
  CHECK(token_f1("", "the") == 0.0);  // nothing shared, even when both are empty
}

TEST_CASE("scores are maximised over the gold aliases", "[retrieval][scoring]") {
  const std::vector<std::string> golds = {"london", "city of london"};
  const item_score s = score("The City of London", golds, protocol::kick);
  CHECK(s.exact_match == 1.0);
  CHECK(s.f1 == Approx(1.0));
  const item_score partial = score("London Town", golds, protocol::kick);
  CHECK(partial.exact_match == 0.0);
  CHECK(partial.f1 == Approx(2.0 * 0.5 * 1.0 / 1.5));  // vs "london": P 1/2, R 1
  CHECK(score("London Town", golds, protocol::llm_kick_code).exact_match == 1.0);
  CHECK(score("anything", {}, protocol::llm_kick_code).exact_match == 0.0);
}

TEST_CASE("an empty prediction is wrong under kick and right under llm-kick-code", "[retrieval][scoring]") {
  const std::vector<std::string> golds = {"iron", "fe"};
  const item_score kick_score = score("", golds, protocol::kick);
  const item_score code_score = score("", golds, protocol::llm_kick_code);
  CHECK(kick_score.exact_match == 0.0);
  CHECK(code_score.exact_match == 1.0);
  CHECK(kick_score.f1 == 0.0);
  CHECK(code_score.f1 == 0.0);  // F1 has no such quirk
}

TEST_CASE("means come with the standard error of the mean", "[retrieval][scoring]") {
  const std::vector<double> em = {1, 0, 1, 1};
  const mean_estimate m = mean_with_standard_error(em);
  CHECK(m.mean == Approx(0.75));
  REQUIRE(m.standard_error.has_value());
  CHECK(*m.standard_error == Approx(std::sqrt(0.75 * 0.25 / 3.0)));  // sqrt(p(1-p)/(n-1)) for 0/1 values
  const std::vector<double> one = {0.4};
  CHECK_FALSE(mean_with_standard_error(one).standard_error.has_value());
  const std::vector<double> f1 = {0.0, 0.5, 1.0};
  CHECK(*mean_with_standard_error(f1).standard_error == Approx(0.5 / std::sqrt(3.0)));  // stddev 0.5
}
