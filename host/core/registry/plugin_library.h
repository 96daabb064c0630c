// Opening a plugin shared library and checking its entry against this host.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "kick/abi.h"
#include "kick/status.h"

namespace kick {

struct plugin_library {
  std::filesystem::path path;
  const kick_plugin_info* info = nullptr;
  std::shared_ptr<void> handle;  // keeps the library loaded; libraries are never unloaded early
};

// Loads `path` (RTLD_NOW | RTLD_LOCAL) and checks, in order: the file loads, it exports
// kick_plugin_entry, the entry returns non-null, struct_size, abi_version and build_id equal the
// host's, kind is method|backend|task with its create_* pointer set, and the file name is
// libkick-<kind>-<name>.so. Each failure is one line naming the path and both values.
result<plugin_library> open_plugin_library(const std::filesystem::path& path);

}  // namespace kick
