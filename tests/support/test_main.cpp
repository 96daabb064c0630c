// Catch2 runner for every kick test suite: exit code 77 tells ctest a test skipped itself.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

namespace kick::test {
bool g_skipped = false;
}

int main(int argc, char* argv[]) {
  const int failures = Catch::Session().run(argc, argv);
  if (failures == 0 && kick::test::g_skipped) return 77;
  return failures;
}
