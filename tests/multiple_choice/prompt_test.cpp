// The prompt is a contract (kickworld is trained on it): exact strings under both protocols, and
// the released code's rule of dropping shots until the prompt fits.
#include <catch2/catch.hpp>

#include "mc_prompt.h"

using kick::mc::build_prompt;
using kick::mc::fit_prompt;
using kick::mc::mc_question;
using kick::mc::protocol;

namespace {

mc_question q(std::string question, std::array<std::string, 4> choices, int answer) {
  mc_question out;
  out.question = std::move(question);
  out.choices = std::move(choices);
  out.answer = answer;
  return out;
}

const std::vector<mc_question> k_shots = {q("2+2?", {"3", "4", "5", "6"}, 1), q("Red is a", {"color", "fruit", "car", "dog"}, 0),
                                          q("Third?", {"a", "b", "c", "d"}, 3)};
const mc_question k_item = q("Sky?", {"green", "blue", "red, or \"pink\"", "none"}, 1);

// One "token" per byte plus BOS.
kick::result<std::int64_t> count_bytes(std::string_view text) { return static_cast<std::int64_t>(text.size()) + 1; }

}  // namespace

TEST_CASE("prompt: kick protocol, exact text", "[multiple_choice][prompt]") {
  CHECK(build_prompt("high_school_physics", k_shots, 2, k_item, protocol::kick) ==
        "The following are multiple choice questions (with answers) about high school physics.\n\n"
        "2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer: B\n\n"
        "Red is a\nA. color\nB. fruit\nC. car\nD. dog\nAnswer: A\n\n"
        "Sky?\nA. green\nB. blue\nC. red, or \"pink\"\nD. none\nAnswer:");
  CHECK(build_prompt("astronomy", k_shots, 0, k_item, protocol::kick) ==
        "The following are multiple choice questions (with answers) about astronomy.\n\n"
        "Sky?\nA. green\nB. blue\nC. red, or \"pink\"\nD. none\nAnswer:");
}

TEST_CASE("prompt: llm-kick-code keeps Hendrycks' double space", "[multiple_choice][prompt]") {
  CHECK(build_prompt("abstract_algebra", k_shots, 1, k_item, protocol::llm_kick_code) ==
        "The following are multiple choice questions (with answers) about  abstract algebra.\n\n"
        "2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer: B\n\n"
        "Sky?\nA. green\nB. blue\nC. red, or \"pink\"\nD. none\nAnswer:");
  CHECK(kick::mc::format_subject("us_foreign_policy", protocol::llm_kick_code) == " us foreign policy");
  CHECK(kick::mc::format_subject("us_foreign_policy", protocol::kick) == "us foreign policy");
}

TEST_CASE("prompt: shots are dropped one at a time until the prompt fits", "[multiple_choice][prompt]") {
  const std::string p3 = build_prompt("s", k_shots, 3, k_item, protocol::kick);
  const std::string p2 = build_prompt("s", k_shots, 2, k_item, protocol::kick);
  const std::string p1 = build_prompt("s", k_shots, 1, k_item, protocol::kick);
  const std::string p0 = build_prompt("s", k_shots, 0, k_item, protocol::kick);
  const auto budget = [](const std::string& p) { return static_cast<std::int64_t>(p.size()) + 1; };

  SECTION("everything fits: all requested shots") {
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, budget(p3), count_bytes);
    REQUIRE(f);
    REQUIRE(f->has_value());
    CHECK((*f)->n_shot == 3);
    CHECK((*f)->text == p3);
    CHECK((*f)->n_tokens == budget(p3));
  }
  SECTION("n_shot above the dev rows uses the rows there are") {
    const auto f = fit_prompt("s", k_shots, 5, k_item, protocol::kick, 100000, count_bytes);
    REQUIRE(f);
    CHECK((*f)->n_shot == 3);
  }
  SECTION("one token short of three shots: two") {
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, budget(p3) - 1, count_bytes);
    REQUIRE(f);
    CHECK((*f)->n_shot == 2);
    CHECK((*f)->text == p2);
  }
  SECTION("room for one shot only") {
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, budget(p2) - 1, count_bytes);
    REQUIRE(f);
    CHECK((*f)->n_shot == 1);
    CHECK((*f)->text == p1);
  }
  SECTION("zero shots exactly at the limit") {
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, budget(p0), count_bytes);
    REQUIRE(f);
    CHECK((*f)->n_shot == 0);
    CHECK((*f)->text == p0);
  }
  SECTION("nothing fits: no prompt, and the zero-shot length is reported") {
    std::int64_t zero_shot_tokens = 0;
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, budget(p0) - 1, count_bytes, &zero_shot_tokens);
    REQUIRE(f);
    CHECK_FALSE(f->has_value());
    CHECK(zero_shot_tokens == budget(p0));
  }
  SECTION("a tokenizer error is passed on") {
    const auto failing = [](std::string_view) -> kick::result<std::int64_t> {
      return kick::fail(kick::status_code::invalid_argument, "bad text");
    };
    const auto f = fit_prompt("s", k_shots, 3, k_item, protocol::kick, 10, failing);
    REQUIRE_FALSE(f);
    CHECK(f.error().message() == "bad text");
  }
}
