// FreebaseQA files as published, and malformed ones: every error names the file and the item.
#include <catch2/catch.hpp>

#include <string>

#include "freebase_dataset.h"
#include "support/test_support.h"

using kick::factoid::read_freebase_qa;

namespace {

// A question in the published layout with `parses` spliced in as its "Parses" value.
std::string question(int index, const std::string& parses) {
  return R"({"Question-ID": "FreebaseQA-t-)" + std::to_string(index) + R"(", "RawQuestion": "Question )" +
         std::to_string(index) + R"(?", "ProcessedQuestion": "question", "Parses": )" + parses + "}";
}

std::string good_parses() {
  return R"([{"Parse-Id": "p", "PotentialTopicEntityMention": "m", "TopicEntityName": "n", "TopicEntityMid": "m.0",
              "InferentialChain": "c", "Answers": [{"AnswersMid": "m.1", "AnswersName": ["alpha", "beta"]}]}])";
}

// A file whose question 1 is `bad` between two good ones.
std::string file_with(const std::string& bad) {
  return R"({"Dataset": "t", "Version": "1", "Questions": [)" + question(0, good_parses()) + ", " + bad + ", " +
         question(2, good_parses()) + "]}";
}

// The error reading `text` from a scratch file; its message must name that file.
kick::status error_of(const std::string& text, const std::string& name) {
  const auto path = kick::test::scratch_dir("factoid-dataset-" + name) / name;
  kick::test::write_file(path, text);
  auto dataset = read_freebase_qa(path.string());
  REQUIRE_FALSE(dataset.has_value());
  const kick::status error = dataset.error();
  INFO(error.message());
  CHECK(error.code() == kick::status_code::invalid_argument);
  CHECK_THAT(error.message(), Catch::Contains("dataset '" + path.string() + "'"));
  return error;
}

}  // namespace

TEST_CASE("the repository's FreebaseQA sample reads as the LLM-KICK code reads it", "[unit][factoid]") {
  const auto path = kick::test::source_dir() / "tests" / "factoid" / "freebase_sample.json";
  auto dataset = read_freebase_qa(path.string());
  REQUIRE(dataset.has_value());
  CHECK(dataset->name == "FreebaseQA-kick-sample");
  CHECK(dataset->version == "1.0");
  REQUIRE(dataset->items.size() == 5);
  CHECK(dataset->items[0].question_id == "FreebaseQA-sample-0");
  CHECK(dataset->items[0].question == "Which planet is known as the Red Planet?");
  CHECK(dataset->items[0].aliases == std::vector<std::string>{"mars", "planet mars"});
  // Only the first parse's first answer counts.
  CHECK(dataset->items[2].aliases == std::vector<std::string>{"william shakespeare", "shakespeare"});
  CHECK(dataset->items[3].aliases == std::vector<std::string>{"six", "6"});
  CHECK(dataset->items[4].aliases == std::vector<std::string>{"Reykjavík", "Reykjavik"});
}

TEST_CASE("FreebaseQA questions need only the fields the task uses", "[unit][factoid]") {
  const auto path = kick::test::scratch_dir("factoid-dataset-minimal") / "minimal.json";
  kick::test::write_file(path, R"({"Questions": [{"RawQuestion": "q?", "Parses": [{"Answers": [{"AnswersName": ["a"]}]}]}]})");
  auto dataset = read_freebase_qa(path.string());
  REQUIRE(dataset.has_value());
  REQUIRE(dataset->items.size() == 1);
  CHECK_FALSE(dataset->items[0].question_id.has_value());
  CHECK(dataset->name.empty());
}

TEST_CASE("a missing FreebaseQA file is not_found", "[unit][factoid]") {
  const auto path = kick::test::scratch_dir("factoid-dataset-missing") / "absent.json";
  auto dataset = read_freebase_qa(path.string());
  REQUIRE_FALSE(dataset.has_value());
  CHECK(dataset.error().code() == kick::status_code::not_found);
  CHECK_THAT(dataset.error().message(), Catch::Contains(path.string()));
}

TEST_CASE("malformed FreebaseQA files fail naming the file", "[unit][factoid]") {
  CHECK_THAT(error_of("{\"Questions\": [", "truncated.json").message(), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("Questions,RawQuestion\n", "csv.json").message(), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("", "empty.json").message(), Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("[1, 2]", "array.json").message(), Catch::Contains("top level is array"));
  CHECK_THAT(error_of(R"({"Dataset": "x", "Data": []})", "no-questions.json").message(),
             Catch::Contains("no field 'Questions'"));
  CHECK_THAT(error_of(R"({"Questions": {"a": 1}})", "questions-object.json").message(),
             Catch::Contains("'Questions' is object, not an array"));
  CHECK_THAT(error_of(R"({"Questions": []})", "questions-empty.json").message(), Catch::Contains("'Questions' is empty"));
}

TEST_CASE("malformed FreebaseQA questions fail naming the file, the item and its Question-ID", "[unit][factoid]") {
  struct bad_case {
    const char* name;
    std::string question;
    const char* reason;
  };
  const std::string id1 = "item 1 (Question-ID 'FreebaseQA-t-1')";
  const bad_case cases[] = {
      {"no-parses", R"({"Question-ID": "FreebaseQA-t-1", "RawQuestion": "q?"})", "no field 'Parses'"},
      {"parses-empty", question(1, "[]"), "'Parses' is empty"},
      {"parses-string", question(1, R"("none")"), "'Parses' is string, not an array"},
      {"parse-not-object", question(1, "[3]"), "'Parses[0]' is number, not an object"},
      {"no-answers", question(1, R"([{"Parse-Id": "p"}])"), "no field 'Parses[0].Answers'"},
      {"answers-empty", question(1, R"([{"Answers": []}])"), "'Parses[0].Answers' is empty"},
      {"answer-not-object", question(1, R"([{"Answers": [["a"]]}])"), "'Parses[0].Answers[0]' is array, not an object"},
      {"no-names", question(1, R"([{"Answers": [{"AnswersMid": "m"}]}])"), "no field 'Parses[0].Answers[0].AnswersName'"},
      {"names-empty", question(1, R"([{"Answers": [{"AnswersName": []}]}])"), "'Parses[0].Answers[0].AnswersName' is empty"},
      {"names-string", question(1, R"([{"Answers": [{"AnswersName": "alpha"}]}])"),
       "'Parses[0].Answers[0].AnswersName' is string, not an array"},
      {"alias-number", question(1, R"([{"Answers": [{"AnswersName": ["alpha", 7]}]}])"),
       "'Parses[0].Answers[0].AnswersName[1]' is number, not a string"},
      {"alias-null", question(1, R"([{"Answers": [{"AnswersName": [null]}]}])"),
       "'Parses[0].Answers[0].AnswersName[0]' is null, not a string"},
      {"no-raw-question", R"({"Question-ID": "FreebaseQA-t-1", "Parses": )" + good_parses() + "}", "no field 'RawQuestion'"},
      {"raw-question-number", R"({"Question-ID": "FreebaseQA-t-1", "RawQuestion": 5, "Parses": )" + good_parses() + "}",
       "'RawQuestion' is number, not a string"},
  };
  for (const bad_case& c : cases) {
    INFO(c.name);
    const kick::status error = error_of(file_with(c.question), std::string(c.name) + ".json");
    CHECK_THAT(error.message(), Catch::Contains(id1) && Catch::Contains(c.reason));
  }
  // Without a usable Question-ID the item is named by its index alone.
  const kick::status id_number = error_of(file_with(R"({"Question-ID": 12, "RawQuestion": "q?", "Parses": []})"),
                                          "id-number.json");
  CHECK_THAT(id_number.message(), Catch::Contains("item 1: 'Question-ID' is number, not a string"));
  const kick::status not_object = error_of(file_with("\"just text\""), "question-string.json");
  CHECK_THAT(not_object.message(), Catch::Contains("item 1: the question is string, not an object"));
}
