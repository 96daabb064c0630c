// factoid-qa's rules on hand-written outputs: LLM-KICK's alias matching, what each protocol scores,
// the prompts, the generation settings and the llm-kick-code count quirk.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "factoid_scoring.h"

using namespace kick::factoid;

namespace {

bool hit(protocol p, const std::vector<std::string>& aliases, const std::string& output) {
  return matches_any_alias(p, aliases, output);
}

bool kick_match(const std::vector<std::string>& aliases, const std::string& generated) {
  return hit(protocol::kick, aliases, generated);
}

}  // namespace

TEST_CASE("factoid prompts are the released code's and the paper's", "[unit][factoid]") {
  CHECK(make_prompt("Who wrote Hamlet?", prompt_style::code) ==
        "Please give answer to this question: Who wrote Hamlet?\nThe answer is ");
  CHECK(make_prompt("Who wrote Hamlet?", prompt_style::paper) ==
        "Please give answer to this question: Who wrote Hamlet? The answer is ");
  CHECK(parse_protocol("kick") == protocol::kick);
  CHECK(parse_protocol("llm-kick-code") == protocol::llm_kick_code);
  CHECK_FALSE(parse_protocol("llm_kick_code").has_value());
  CHECK(parse_prompt_style("paper") == prompt_style::paper);
  CHECK_FALSE(parse_prompt_style("Paper").has_value());
}

TEST_CASE("alias matching ignores case and spaces and accepts substrings", "[unit][factoid]") {
  const std::vector<std::string> nyc = {"New York City"};
  CHECK(kick_match(nyc, "new york city"));
  CHECK(kick_match(nyc, "NEW YORK CITY"));
  CHECK(kick_match(nyc, "NewYork  City"));              // spaces anywhere are removed
  CHECK(kick_match(nyc, "it is in newyorkcity, USA."));  // substring of the output
  CHECK(kick_match({"  New York City \n"}, "newyorkcity"));  // the alias is stripped too
  CHECK_FALSE(kick_match(nyc, "new york"));              // the output must contain the whole alias
  CHECK_FALSE(kick_match(nyc, "New\nYork City"));        // only ' ' is removed, as Python's replace(" ", "")
  CHECK_FALSE(kick_match(nyc, "Boston"));
  // Any alias counts.
  CHECK(kick_match({"William Shakespeare", "the bard"}, "The Bard of Avon"));
  // Case folding beyond ASCII, as Python's str.lower().
  CHECK(kick_match({"Émile Zola"}, "ÉMILE ZOLA"));
  CHECK(kick_match({"Reykjavík"}, "REYKJAVÍK"));
  CHECK(kick_match({"Ångström"}, "ÅNGSTRÖM"));
  CHECK(kick_match({"Москва"}, "МОСКВА"));
  CHECK(kick_match({"Αθήνα"}, "ΑΘΉΝΑ"));
  CHECK_FALSE(kick_match({"Reykjavík"}, "Reykjavik"));  // no accent folding
  // Beyond the scripts above: Armenian, Georgian (Mtavruli capitals).
  CHECK(kick_match({"\u0535\u0580\u0587\u0561\u0576"}, "\u0535\u0550\u0587\u0531\u0546"));  // Երևան / ԵՐևԱՆ
  CHECK(kick_match({"\u10d7\u10d1\u10d8\u10da\u10d8\u10e1\u10d8"}, "\u1c97\u1c91\u1c98\u1c9a\u1c98\u1ca1\u1c98"));
  CHECK(kick_match({"Paris"}, "\u00a0Paris\u3000"));  // Unicode whitespace around the answer
}

TEST_CASE("normalisation: strip, drop spaces, lower-case", "[unit][factoid]") {
  CHECK(normalize_for_match("  The Taming of the Shrew.\n") == "thetamingoftheshrew.");
  CHECK(normalize_for_match("a\tb") == "a\tb");
  CHECK(normalize_for_match("\t\n") == "");
  // Python's str.strip() and str.lower() in full (the lower-casing itself is tested in task_text).
  CHECK(normalize_for_match("\u3000Par\u00eds\u00a0\n") == "par\u00eds");  // Unicode whitespace at the ends
  CHECK(normalize_for_match("\u00a0x\u00a0y") == "x\u00a0y");               // only U+0020 is removed inside
  CHECK(normalize_for_match("\u0130STANBUL \u039f\u0394\u039f\u03a3") == "i\u0307stanbul\u03bf\u03b4\u03bf\u03c2");
  CHECK(normalize_for_match("\u0535\u0580\u0587\u0561\u0576 \u1E9E") == "\u0565\u0580\u0587\u0561\u0576\u00df");
  // Ill-formed bytes read as U+FFFD, as in the Python side's decoded text: the bytes of a
  // character split by a space do not join into that character once spaces are removed.
  CHECK(normalize_for_match("\xC3 \xA9") == "\ufffd\ufffd");
}

TEST_CASE("llm-kick-code scores the prompt with the output, kick the generated text only", "[unit][factoid]") {
  const std::string prompt = make_prompt("What colour is a clear day sky, blue or green?", prompt_style::code);
  const std::string generated = "green";
  CHECK(scored_output(protocol::kick, prompt, generated) == "green");
  CHECK(scored_output(protocol::llm_kick_code, prompt, generated) == prompt + "green");
  const std::vector<std::string> aliases = {"Blue"};
  // The alias occurs only in the question: a hit for the released code, a miss for kick.
  CHECK(hit(protocol::llm_kick_code, aliases, scored_output(protocol::llm_kick_code, prompt, generated)));
  CHECK_FALSE(hit(protocol::kick, aliases, scored_output(protocol::kick, prompt, generated)));
  // An alias split by the prompt's end and the answer's start still matches under llm-kick-code,
  // since spaces and the join vanish: "...The answer is " + "Paris" contains "isparis".
  CHECK(hit(protocol::llm_kick_code, {"is Paris"}, scored_output(protocol::llm_kick_code, prompt, "Paris")));
  CHECK_FALSE(hit(protocol::kick, {"is Paris"}, scored_output(protocol::kick, prompt, "Paris")));
}

TEST_CASE("an alias that normalises to nothing matches everything only under llm-kick-code", "[unit][factoid]") {
  for (const std::vector<std::string>& aliases : {std::vector<std::string>{""}, std::vector<std::string>{"  ", " \n"}}) {
    CHECK(hit(protocol::llm_kick_code, aliases, "anything"));
    CHECK(hit(protocol::llm_kick_code, aliases, ""));
    CHECK_FALSE(hit(protocol::kick, aliases, "anything"));
  }
  CHECK(hit(protocol::kick, {"", "paris"}, "Paris"));
}

TEST_CASE("generation settings per protocol", "[unit][factoid]") {
  const kick::generate_options kick_options = generation_options(protocol::kick, 40, 32);
  CHECK(kick_options.max_tokens == 32);
  CHECK(kick_options.stop == std::vector<std::string>{"\n"});
  // HF generate(max_length = 3 x prompt tokens): twice the prompt's tokens are new, no stop string.
  const kick::generate_options code_options = generation_options(protocol::llm_kick_code, 40, 32);
  CHECK(code_options.max_tokens == 80);
  CHECK(code_options.stop.empty());
}

TEST_CASE("item counts: kick evaluates what it divides by, llm-kick-code runs N+1 and divides by N", "[unit][factoid]") {
  const auto check = [](protocol p, std::int64_t n_items, std::int64_t limit, std::int64_t n_evaluated, std::int64_t divisor) {
    INFO(to_string(p) << " items " << n_items << " limit " << limit);
    const item_plan plan = plan_items(p, n_items, limit);
    CHECK(plan.n_evaluated == n_evaluated);
    CHECK(plan.divisor == divisor);
  };
  check(protocol::kick, 5, 0, 5, 5);
  check(protocol::kick, 5, 3, 3, 3);
  check(protocol::kick, 5, 9, 5, 5);
  check(protocol::llm_kick_code, 5, 0, 5, 5);
  check(protocol::llm_kick_code, 5, 3, 4, 3);
  check(protocol::llm_kick_code, 5, 4, 5, 4);
  check(protocol::llm_kick_code, 5, 5, 5, 5);
  check(protocol::llm_kick_code, 5, 9, 5, 9);
  check(protocol::llm_kick_code, 5, std::numeric_limits<std::int64_t>::max(), 5, std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("exact match value and standard error", "[unit][factoid]") {
  // The standard error of a mean of 0/1 scores: sample standard deviation / sqrt(n).
  const auto reference_stderr = [](const std::vector<int>& scores) {
    const double n = static_cast<double>(scores.size());
    double mean = 0.0;
    for (int s : scores) mean += s;
    mean /= n;
    double ss = 0.0;
    for (int s : scores) ss += (s - mean) * (s - mean);
    return std::sqrt(ss / (n - 1.0)) / std::sqrt(n);
  };
  const exact_match_score kick_score = score_exact_match(3, 4, 4);
  CHECK(kick_score.value == 0.75);
  REQUIRE(kick_score.standard_error.has_value());
  CHECK(*kick_score.standard_error == Approx(reference_stderr({1, 1, 1, 0})));
  CHECK(*kick_score.standard_error == Approx(0.25));

  // llm-kick-code, limit 3: four items run, two hits, divided by 3; its error scales the same way.
  const exact_match_score code_score = score_exact_match(2, 4, 3);
  CHECK(code_score.value == Approx(2.0 / 3.0));
  REQUIRE(code_score.standard_error.has_value());
  CHECK(*code_score.standard_error == Approx(reference_stderr({1, 1, 0, 0}) * 4.0 / 3.0));
  // Every one of the N+1 items right: the released code reports more than 100 %.
  CHECK(score_exact_match(4, 4, 3).value == Approx(4.0 / 3.0));
  CHECK(*score_exact_match(4, 4, 3).standard_error == 0.0);

  CHECK_FALSE(score_exact_match(1, 1, 1).standard_error.has_value());
  CHECK(score_exact_match(1, 1, 1).value == 1.0);
}
