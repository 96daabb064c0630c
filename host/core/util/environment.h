// Every environment variable kick reads is read here (and listed in docs/env-vars.md).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kick::env {

// KICK_PLUGIN_PATH: extra plugin directories, separated by ':' (empty entries ignored).
std::vector<std::filesystem::path> plugin_path();

// KICK_LOG_LEVEL: debug | info | warn | error (default info).
std::optional<std::string> log_level();

// KICK_NO_PROGRESS: set to anything non-empty to silence progress lines.
bool no_progress();

}  // namespace kick::env
