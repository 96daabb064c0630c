// Plugin discovery: every manifest in the search path is read and validated, without loading
// any library. Search order: --plugin-dir (repeatable), KICK_PLUGIN_PATH, then the default
// directory <exe_dir>/../lib/kick/plugins (the build tree and an install share this layout),
// falling back to <install prefix>/lib/kick/plugins.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry/plugin_manifest.h"
#include "kick/status.h"

namespace kick {

struct registry_options {
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, in order
  bool use_environment = true;                     // read KICK_PLUGIN_PATH
  bool use_default_dirs = true;                    // exe-relative / install prefix
  std::filesystem::path executable;                // the running kickhost (for the default dir)
};

class plugin_registry {
 public:
  // Never fails as a whole: problems with individual directories and manifests are collected
  // in errors(), each naming the file or directory.
  static plugin_registry discover(const registry_options& options);

  const std::vector<std::filesystem::path>& search_dirs() const { return search_dirs_; }
  const std::vector<plugin_manifest>& manifests() const { return manifests_; }
  const std::vector<status>& errors() const { return errors_; }

  // The manifest of plugin `name` of `kind`; not_found lists what exists, with "did you mean".
  result<const plugin_manifest*> find(std::string_view kind, std::string_view name) const;

 private:
  std::vector<std::filesystem::path> search_dirs_;
  std::vector<plugin_manifest> manifests_;
  std::vector<status> errors_;
};

// The directory of the running executable (from /proc/self/exe).
std::filesystem::path current_executable();

}  // namespace kick
