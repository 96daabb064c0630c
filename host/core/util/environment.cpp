#include "core/util/environment.h"

#include <cstdlib>
#include <string_view>

namespace kick::env {

namespace {
std::optional<std::string> read(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}
}  // namespace

std::vector<std::filesystem::path> plugin_path() {
  std::vector<std::filesystem::path> dirs;
  const auto value = read("KICK_PLUGIN_PATH");
  if (!value) return dirs;
  std::string_view rest = *value;
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string_view entry = rest.substr(0, colon);
    if (!entry.empty()) dirs.emplace_back(entry);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

std::optional<std::string> log_level() { return read("KICK_LOG_LEVEL"); }

bool no_progress() { return read("KICK_NO_PROGRESS").has_value(); }

}  // namespace kick::env
