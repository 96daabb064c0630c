#include <catch2/catch.hpp>

#include "core/run/sample_file.h"
#include "support/test_support.h"

TEST_CASE("sample files accept one JSON object per line and appear only on commit", "[unit][run]") {
  const auto dir = kick::test::scratch_dir("sample-file");
  const auto path = dir / "samples_x.jsonl";
  {
    auto f = kick::sample_file::create(path);
    REQUIRE(f.has_value());
    CHECK((*f)->write(R"({"a": 1})").ok());
    CHECK((*f)->write("[1, 2]").code() == kick::status_code::invalid_argument);
    CHECK((*f)->write("{\"a\":\n1}").code() == kick::status_code::invalid_argument);
    CHECK((*f)->write("not json").code() == kick::status_code::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(path));
    REQUIRE((*f)->commit().ok());
    CHECK((*f)->n_records() == 1);
  }
  CHECK(kick::test::read_file(path) == "{\"a\": 1}\n");
  {
    auto f = kick::sample_file::create(dir / "samples_abandoned.jsonl");
    REQUIRE(f.has_value());
    CHECK((*f)->write("{}").ok());
  }  // destroyed without commit: no file under the final name, no temporary left behind
  CHECK_FALSE(std::filesystem::exists(dir / "samples_abandoned.jsonl"));
  std::size_t n_files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n_files;
  CHECK(n_files == 1);
}
