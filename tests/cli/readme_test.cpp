// README's two commands stay what CI runs and what the code offers.
#include <catch2/catch.hpp>

#include <sstream>

#include "support/test_support.h"

namespace {

// The indented command lines of README.md (four leading spaces), in order.
std::vector<std::string> readme_commands() {
  std::istringstream in(kick::test::read_file(kick::test::source_dir() / "README.md"));
  std::vector<std::string> commands;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("    ", 0) == 0) commands.push_back(line.substr(4));
  }
  return commands;
}

}  // namespace

TEST_CASE("README opens with the main-job and test commands, and .ci/run runs the test command", "[cli][docs]") {
  const std::vector<std::string> commands = readme_commands();
  REQUIRE(commands.size() >= 2);
  CHECK_THAT(commands[0], Catch::Contains("kickhost run manifests/"));
  CHECK_THAT(commands[1], Catch::Contains("ctest --test-dir build"));
  const std::string ci = kick::test::read_file(kick::test::source_dir() / ".ci" / "run");
  CHECK_THAT(ci, Catch::Contains(commands[1]));
  // The manifest the main job runs exists.
  const std::size_t at = commands[0].find("manifests/");
  const std::string manifest = commands[0].substr(at, commands[0].find(' ', at) - at);
  CHECK(std::filesystem::exists(kick::test::source_dir() / manifest));
}
