// The Hendrycks layout: subjects, row validation with file and line, pandas-style cells for
// protocol llm-kick-code, and the MMLU category table.
#include <catch2/catch.hpp>

#include "mmlu_categories.h"
#include "mmlu_dataset.h"
#include "pandas_cells.h"
#include "support/test_support.h"

using kick::mc::cell_style;
using kick::mc::read_questions;
using kick::test::scratch_dir;
using kick::test::write_file;

namespace {

std::string file_with(std::string_view name, std::string_view text) {
  const auto path = scratch_dir(name) / "s_test.csv";
  write_file(path, text);
  return path.string();
}

}  // namespace

TEST_CASE("dataset: rows become questions with their lines", "[multiple_choice][dataset]") {
  const std::string path = file_with("mc-rows", "What is 1+1?,1,2,3,4,B\n\"Which, of \"\"these\"\"?\nPick one.\",x,y,z,w,D\r\n");
  const auto q = read_questions(path, cell_style::verbatim);
  REQUIRE(q);
  REQUIRE(q->size() == 2);
  CHECK((*q)[0].question == "What is 1+1?");
  CHECK((*q)[0].choices == std::array<std::string, 4>{"1", "2", "3", "4"});
  CHECK((*q)[0].answer == 1);
  CHECK((*q)[1].question == "Which, of \"these\"?\nPick one.");
  CHECK((*q)[1].answer == 3);
  CHECK((*q)[1].line == 2);
}

TEST_CASE("dataset: malformed rows fail with file and line", "[multiple_choice][dataset]") {
  SECTION("too few fields") {
    const std::string path = file_with("mc-few", "q,a,b,c,d,A\n\"two\nlines\",a,b,c,d,A\nq,a,b,c,A\n");
    const auto q = read_questions(path, cell_style::verbatim);
    REQUIRE_FALSE(q);
    CHECK(q.error().code() == kick::status_code::invalid_argument);
    CHECK_THAT(q.error().message(), Catch::Contains("dataset '" + path + "' line 4: expected 6 fields") &&
                                        Catch::Contains("got 5"));
  }
  SECTION("too many fields") {
    const auto q = read_questions(file_with("mc-many", "q,a,b,c,d,A,extra\n"), cell_style::verbatim);
    REQUIRE_FALSE(q);
    CHECK_THAT(q.error().message(), Catch::Contains("line 1: expected 6 fields") && Catch::Contains("got 7"));
  }
  SECTION("answer not A-D") {
    for (const char* answer : {"E", "a", " B", "AB", ""}) {
      INFO(answer);
      const auto q = read_questions(file_with("mc-answer", std::string("q,a,b,c,d,A\nq,a,b,c,d,") + answer + "\n"),
                                    cell_style::pandas);
      REQUIRE_FALSE(q);
      CHECK_THAT(q.error().message(), Catch::Contains("line 2: answer '") && Catch::Contains("is not one of A, B, C, D"));
    }
  }
  SECTION("unterminated quote") {
    const auto q = read_questions(file_with("mc-quote", "q,a,b,c,d,A\nq,\"a,b,c,d,A\n"), cell_style::verbatim);
    REQUIRE_FALSE(q);
    CHECK_THAT(q.error().message(), Catch::Contains("s_test.csv' line 2: quoted field is never closed"));
  }
  SECTION("no rows") {
    const auto q = read_questions(file_with("mc-empty", "\n\n"), cell_style::verbatim);
    REQUIRE_FALSE(q);
    CHECK_THAT(q.error().message(), Catch::Contains("no rows"));
  }
}

TEST_CASE("dataset: subjects are the sorted stems of the split's files", "[multiple_choice][dataset]") {
  const auto root = scratch_dir("mc-subjects");
  for (const char* f : {"test/zoology_test.csv", "test/anatomy_test.csv", "test/Biology_test.csv", "test/notes.txt",
                        "test/_test.csv", "dev/anatomy_dev.csv", "val/anatomy_val.csv"}) {
    write_file(root / f, "q,a,b,c,d,A\n");
  }
  const auto s = kick::mc::list_subjects(root, "test");
  REQUIRE(s);
  CHECK(*s == std::vector<std::string>{"Biology", "anatomy", "zoology"});  // byte order, as Python's sorted()
  CHECK(*kick::mc::list_subjects(root, "val") == std::vector<std::string>{"anatomy"});
  CHECK(kick::mc::split_file(root, "dev", "anatomy") == root / "dev" / "anatomy_dev.csv");

  const auto picked = kick::mc::select_subjects(*s, " zoology ,anatomy", root.string());
  REQUIRE(picked);
  CHECK(*picked == std::vector<std::string>{"anatomy", "zoology"});
  const auto bad = kick::mc::select_subjects(*s, "anatomy,zoolgy", root.string());
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message(), Catch::Contains("'zoolgy' is not a subject") && Catch::Contains("anatomy"));
  CHECK_FALSE(kick::mc::select_subjects(*s, "anatomy,,zoology", root.string()));

  const auto no_dir = kick::mc::list_subjects(root / "absent", "test");
  REQUIRE_FALSE(no_dir);
  CHECK_THAT(no_dir.error().message(), Catch::Contains("is not a directory"));
  const auto no_split = kick::mc::list_subjects(root / "dev", "test");
  REQUIRE_FALSE(no_split);
  CHECK_THAT(no_split.error().message(), Catch::Contains("has no test/ directory"));
}

TEST_CASE("dataset: llm-kick-code shows cells as pandas would", "[multiple_choice][dataset]") {
  // Column A is all integers, B all numbers, C booleans, D text with NA markers.
  const std::string text =
      "None,007,2.50,true,None of these,A\n"
      "q2,+12,3,FALSE,NA,B\n"
      "q3,-0,1e-5,True,n/a,C\n";
  const std::string path = file_with("mc-pandas", text);
  const auto pandas = read_questions(path, cell_style::pandas);
  REQUIRE(pandas);
  CHECK((*pandas)[0].question == "nan");
  CHECK((*pandas)[1].question == "q2");
  CHECK((*pandas)[0].choices == std::array<std::string, 4>{"7", "2.5", "True", "None of these"});
  CHECK((*pandas)[1].choices == std::array<std::string, 4>{"12", "3.0", "False", "nan"});
  CHECK((*pandas)[2].choices == std::array<std::string, 4>{"0", "1e-05", "True", "nan"});
  const auto verbatim = read_questions(path, cell_style::verbatim);
  REQUIRE(verbatim);
  CHECK((*verbatim)[0].question == "None");
  CHECK((*verbatim)[0].choices == std::array<std::string, 4>{"007", "2.50", "true", "None of these"});
  CHECK((*verbatim)[1].choices[3] == "NA");
}

TEST_CASE("dataset: an integer column with a missing cell turns float, a mixed column stays text", "[multiple_choice][dataset]") {
  const auto q = read_questions(file_with("mc-pandas-na", "q,1,x,1,,A\nq,,2,2.5,,B\n"), cell_style::pandas);
  REQUIRE(q);
  CHECK((*q)[0].choices == std::array<std::string, 4>{"1.0", "x", "1.0", "nan"});
  CHECK((*q)[1].choices == std::array<std::string, 4>{"nan", "2", "2.5", "nan"});
}

TEST_CASE("dataset: Python's float repr", "[multiple_choice][dataset]") {
  using kick::mc::python_float_repr;
  CHECK(python_float_repr(0.5) == "0.5");
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(-0.0) == "-0.0");
  CHECK(python_float_repr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(python_float_repr(1e-4) == "0.0001");
  CHECK(python_float_repr(1e-5) == "1e-05");
  CHECK(python_float_repr(1.5e-7) == "1.5e-07");
  CHECK(python_float_repr(1e15) == "1000000000000000.0");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(python_float_repr(2.5e300) == "2.5e+300");
}

TEST_CASE("categories: Hendrycks' subject -> subcategory -> category table", "[multiple_choice][categories]") {
  using kick::mc::group_of;
  const auto check = [](std::string_view subject, std::string_view sub, std::string_view cat) {
    INFO(subject);
    CHECK(group_of(subject).subcategory == sub);
    CHECK(group_of(subject).category == cat);
    CHECK(kick::mc::is_mmlu_subject(subject));
  };
  check("abstract_algebra", "math", "STEM");
  check("astronomy", "physics", "STEM");
  check("electrical_engineering", "engineering", "STEM");
  check("formal_logic", "philosophy", "humanities");
  check("professional_law", "law", "humanities");
  check("high_school_us_history", "history", "humanities");
  check("econometrics", "economics", "social sciences");
  check("sociology", "culture", "social sciences");
  check("high_school_geography", "geography", "social sciences");
  check("us_foreign_policy", "politics", "social sciences");
  check("professional_accounting", "other", "other");
  check("virology", "health", "other");
  check("marketing", "business", "other");
  CHECK(group_of("kw_capitals").subcategory == "kw_capitals");
  CHECK(group_of("kw_capitals").category == "other");
  CHECK_FALSE(kick::mc::is_mmlu_subject("kw_capitals"));
}
