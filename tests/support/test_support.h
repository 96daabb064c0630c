// Shared helpers for kick's Catch2 suites: where fixtures, plugins and kickhost are, visible
// skips, and running kickhost as a subprocess.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kick/host.h"

namespace kick::test {

// A host that drops every log line and progress report.
class silent_host final : public host {
 public:
  void log(log_level, std::string_view) const override {}
  void progress(std::string_view, std::int64_t, std::int64_t) const override {}
};

// ../shared/fixtures beside the source tree, or $KICK_FIXTURES_DIR when set.
std::filesystem::path fixtures_dir();

// The absolute path of `relative` under fixtures_dir(), or nullopt after printing
// "SKIPPED: ..." and marking the test process as skipped (exit code 77 for ctest).
std::optional<std::filesystem::path> fixture(std::string_view relative);

// Marks the running test skipped with a visible reason.
void skip(std::string_view reason);

std::filesystem::path source_dir();
std::filesystem::path binary_dir();
std::filesystem::path plugin_dir();     // the build tree's plugin output directory
std::filesystem::path kickhost_path();  // the built kickhost executable
std::filesystem::path fake_plugin_dir();  // tests/fake-plugins build output (broken plugins)
// The plugin directory of tests/out-of-tree's threshold method, as written by the out-of-tree
// ctest fixture (tests that need it declare FIXTURE out_of_tree_plugin); fails the test without it.
std::filesystem::path out_of_tree_plugin_dir();

// A fresh empty directory under the build tree's test scratch area, named after `name`.
std::filesystem::path scratch_dir(std::string_view name);

struct command_result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs kickhost with `args` (no shell involved), capturing stdout and stderr.
command_result run_kickhost(const std::vector<std::string>& args);

// Sets an environment variable for this scope (run_kickhost's processes inherit it), then
// restores its former value or unsets it.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~scoped_env() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Writes `text` to `path`, creating parent directories.
void write_file(const std::filesystem::path& path, std::string_view text);
std::string read_file(const std::filesystem::path& path);

}  // namespace kick::test

// Declares `var` as the fixture's path, or skips the test visibly and returns.
#define KICK_REQUIRE_FIXTURE(var, relative)                 \
  const auto var##_maybe = ::kick::test::fixture(relative); \
  if (!var##_maybe) return;                                 \
  const std::filesystem::path& var = *var##_maybe
