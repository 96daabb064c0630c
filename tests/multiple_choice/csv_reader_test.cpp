// The RFC 4180 reader under the Hendrycks files: quoting, embedded separators and newlines,
// line endings, and errors that name the file and the line.
#include <catch2/catch.hpp>

#include "csv_reader.h"

using kick::mc::csv_record;
using kick::mc::parse_csv;

namespace {

std::vector<std::vector<std::string>> fields_of(const std::vector<csv_record>& records) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : records) out.push_back(r.fields);
  return out;
}

}  // namespace

TEST_CASE("csv: plain and quoted fields", "[multiple_choice][csv]") {
  const auto r = parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"\"\n", "f.csv");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].fields == std::vector<std::string>{"a", "b", "c"});
  CHECK((*r)[1].fields == std::vector<std::string>{"x, y", "say \"hi\"", ""});
  CHECK((*r)[0].line == 1);
  CHECK((*r)[1].line == 2);
}

TEST_CASE("csv: newlines inside quotes belong to the field and advance the line count", "[multiple_choice][csv]") {
  const auto r = parse_csv("\"line one\nline two\r\nline three\",B\nnext,row\n", "f.csv");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].fields[0] == "line one\nline two\r\nline three");
  CHECK((*r)[0].fields[1] == "B");
  CHECK((*r)[1].line == 4);  // the first record spans physical lines 1-3
}

TEST_CASE("csv: CRLF, lone CR and a missing final newline end records alike", "[multiple_choice][csv]") {
  const std::vector<std::vector<std::string>> expected = {{"a", "b"}, {"c", "d"}, {"e", "f"}};
  for (const char* text : {"a,b\r\nc,d\r\ne,f\r\n", "a,b\rc,d\re,f", "a,b\nc,d\ne,f", "a,b\r\nc,d\ne,f\r"}) {
    INFO(text);
    const auto r = parse_csv(text, "f.csv");
    REQUIRE(r);
    CHECK(fields_of(*r) == expected);
    CHECK(r->back().line == 3);
  }
}

TEST_CASE("csv: blank lines are skipped but counted, a BOM is dropped, empty fields are kept", "[multiple_choice][csv]") {
  const auto r = parse_csv("\xEF\xBB\xBFq,,\n\n\r\nx,\"\",z,\n", "f.csv");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].fields == std::vector<std::string>{"q", "", ""});
  CHECK((*r)[1].fields == std::vector<std::string>{"x", "", "z", ""});
  CHECK((*r)[1].line == 4);
  CHECK(parse_csv("", "f.csv")->empty());
}

TEST_CASE("csv: a quote inside an unquoted field is literal", "[multiple_choice][csv]") {
  const auto r = parse_csv("5\" tall,it's \"ok\"\n", "f.csv");
  REQUIRE(r);
  CHECK((*r)[0].fields == std::vector<std::string>{"5\" tall", "it's \"ok\""});
}

TEST_CASE("csv: syntax errors name the file and the line", "[multiple_choice][csv]") {
  SECTION("unterminated quote: the line where the field starts") {
    const auto r = parse_csv("a,b\nc,\"never\nclosed,\n", "data/x_test.csv");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == kick::status_code::invalid_argument);
    CHECK_THAT(r.error().message(), Catch::StartsWith("dataset 'data/x_test.csv' line 2: quoted field is never closed"));
  }
  SECTION("text after a closing quote") {
    const auto r = parse_csv("a,b\n\"multi\nline\"x,b\n", "x.csv");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::StartsWith("dataset 'x.csv' line 3: unexpected character after a closing quote"));
  }
}

TEST_CASE("csv: a missing file is not_found", "[multiple_choice][csv]") {
  const auto r = kick::mc::read_csv_file("/nonexistent/dir/a_test.csv");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == kick::status_code::not_found);
  CHECK_THAT(r.error().message(), Catch::Contains("/nonexistent/dir/a_test.csv"));
}
