#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "support/test_support.h"

extern char** environ;

namespace kick::test {

extern bool g_skipped;

std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("KICK_FIXTURES_DIR"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path(KICK_TEST_FIXTURES_DIR).lexically_normal();
}

void skip(std::string_view reason) {
  g_skipped = true;
  std::cout << "SKIPPED: " << reason << std::endl;
  WARN("SKIPPED: " << reason);
}

std::optional<std::filesystem::path> fixture(std::string_view relative) {
  const std::filesystem::path p = fixtures_dir() / relative;
  if (std::filesystem::exists(p)) return p;
  skip("fixture " + p.string() + " is absent (tests that need ../shared/fixtures skip without it)");
  return std::nullopt;
}

std::filesystem::path source_dir() { return KICK_TEST_SOURCE_DIR; }
std::filesystem::path binary_dir() { return KICK_TEST_BINARY_DIR; }
std::filesystem::path plugin_dir() { return KICK_TEST_PLUGIN_DIR; }
std::filesystem::path kickhost_path() { return KICK_TEST_KICKHOST; }
std::filesystem::path fake_plugin_dir() { return KICK_TEST_FAKE_PLUGIN_DIR; }

std::filesystem::path out_of_tree_plugin_dir() {
  const auto marker = binary_dir() / "test-scratch" / "out-of-tree" / "plugin-dir.txt";
  REQUIRE(std::filesystem::exists(marker));
  return read_file(marker);
}

std::filesystem::path scratch_dir(std::string_view name) {
  const std::filesystem::path dir = binary_dir() / "test-scratch" / std::string(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
std::string slurp_fd(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}
}  // namespace

command_result run_kickhost(const std::vector<std::string>& args) {
  // Capture through temporary files: no pipe deadlock whatever the output size.
  const std::filesystem::path dir = binary_dir() / "test-scratch";
  std::filesystem::create_directories(dir);
  char out_name[] = "/tmp/kick-test-out-XXXXXX";
  char err_name[] = "/tmp/kick-test-err-XXXXXX";
  const int out_fd = ::mkstemp(out_name);
  const int err_fd = ::mkstemp(err_name);
  std::vector<std::string> argv_s{kickhost_path().string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  command_result r;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    r.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  }
  posix_spawn_file_actions_destroy(&actions);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  r.out = slurp_fd(out_fd);
  r.err = slurp_fd(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  ::unlink(out_name);
  ::unlink(err_name);
  return r;
}

}  // namespace kick::test
