#include "freebase_dataset.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace kick::factoid {
namespace {

using json = nlohmann::json;

const char* type_name(const json& value) { return value.type_name(); }

// "dataset 'PATH' item I (Question-ID 'X')", the prefix of every per-question error.
std::string item_where(std::string_view path, std::size_t index, const json& question) {
  std::string where = "dataset '";
  where.append(path).append("' item ").append(std::to_string(index));
  if (question.is_object()) {
    const auto id = question.find("Question-ID");
    if (id != question.end() && id->is_string()) where.append(" (Question-ID '").append(id->get<std::string>()).append("')");
  }
  return where;
}

// The non-empty array at `object[key]`, or an error naming `label` (the key's path in the question).
result<const json*> non_empty_array(const json& object, const char* key, const std::string& label, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return fail(status_code::invalid_argument, where + ": no field '" + label + "'");
  if (!it->is_array()) {
    return fail(status_code::invalid_argument, where + ": '" + label + "' is " + type_name(*it) + ", not an array");
  }
  if (it->empty()) return fail(status_code::invalid_argument, where + ": '" + label + "' is empty");
  return &*it;
}

result<factoid_item> parse_question(const json& question, std::string_view path, std::size_t index) {
  const std::string where = item_where(path, index, question);
  if (!question.is_object()) {
    return fail(status_code::invalid_argument, where + ": the question is " + type_name(question) + ", not an object");
  }
  factoid_item item;
  if (const auto id = question.find("Question-ID"); id != question.end()) {
    if (!id->is_string()) {
      return fail(status_code::invalid_argument, where + ": 'Question-ID' is " + type_name(*id) + ", not a string");
    }
    item.question_id = id->get<std::string>();
  }
  const auto raw = question.find("RawQuestion");
  if (raw == question.end()) return fail(status_code::invalid_argument, where + ": no field 'RawQuestion'");
  if (!raw->is_string()) {
    return fail(status_code::invalid_argument, where + ": 'RawQuestion' is " + type_name(*raw) + ", not a string");
  }
  item.question = raw->get<std::string>();

  auto parses = non_empty_array(question, "Parses", "Parses", where);
  if (!parses) return std::unexpected(parses.error());
  const json& parse = (**parses)[0];
  if (!parse.is_object()) {
    return fail(status_code::invalid_argument, where + ": 'Parses[0]' is " + type_name(parse) + ", not an object");
  }
  auto answers = non_empty_array(parse, "Answers", "Parses[0].Answers", where);
  if (!answers) return std::unexpected(answers.error());
  const json& answer = (**answers)[0];
  if (!answer.is_object()) {
    return fail(status_code::invalid_argument,
                where + ": 'Parses[0].Answers[0]' is " + type_name(answer) + ", not an object");
  }
  auto names = non_empty_array(answer, "AnswersName", "Parses[0].Answers[0].AnswersName", where);
  if (!names) return std::unexpected(names.error());
  for (std::size_t i = 0; i < (*names)->size(); ++i) {
    const json& alias = (**names)[i];
    if (!alias.is_string()) {
      return fail(status_code::invalid_argument, where + ": 'Parses[0].Answers[0].AnswersName[" + std::to_string(i) +
                                                     "]' is " + type_name(alias) + ", not a string");
    }
    item.aliases.push_back(alias.get<std::string>());
  }
  return item;
}

}  // namespace

result<factoid_dataset> parse_freebase_qa(std::string_view json_text, std::string_view path) {
  std::string where = "dataset '";
  where.append(path).append("'");
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string reason = e.what();
    if (const auto cut = reason.find("] "); cut != std::string::npos) reason.erase(0, cut + 2);
    return fail(status_code::invalid_argument, where + ": not valid JSON (" + reason + ")");
  }
  if (!doc.is_object()) {
    return fail(status_code::invalid_argument,
                where + ": the top level is " + type_name(doc) + ", not a FreebaseQA object with 'Questions'");
  }
  const auto questions = doc.find("Questions");
  if (questions == doc.end()) return fail(status_code::invalid_argument, where + ": no field 'Questions' (not a FreebaseQA file?)");
  if (!questions->is_array()) {
    return fail(status_code::invalid_argument, where + ": 'Questions' is " + type_name(*questions) + ", not an array");
  }
  if (questions->empty()) return fail(status_code::invalid_argument, where + ": 'Questions' is empty");

  factoid_dataset dataset;
  if (const auto name = doc.find("Dataset"); name != doc.end() && name->is_string()) dataset.name = name->get<std::string>();
  if (const auto version = doc.find("Version"); version != doc.end() && version->is_string()) {
    dataset.version = version->get<std::string>();
  }
  dataset.items.reserve(questions->size());
  for (std::size_t i = 0; i < questions->size(); ++i) {
    auto item = parse_question((*questions)[i], path, i);
    if (!item) return std::unexpected(item.error());
    dataset.items.push_back(std::move(*item));
  }
  return dataset;
}

result<factoid_dataset> read_freebase_qa(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(status_code::not_found, std::string("dataset '").append(path).append("': cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_freebase_qa(text.str(), path);
}

}  // namespace kick::factoid
