#include "core/registry/plugin_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/util/did_you_mean.h"
#include "core/util/environment.h"

namespace kick {

std::filesystem::path current_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p;
}

namespace {

struct search_entry {
  std::filesystem::path dir;
  int rank;  // 0: named by the user (flag or environment); 1: default location
};

std::vector<search_entry> search_entries(const registry_options& options, std::vector<status>& errors) {
  std::vector<search_entry> entries;
  const auto add_user_dir = [&](const std::filesystem::path& dir, std::string_view origin) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      errors.push_back(status(status_code::not_found,
                              fmt::format("{} '{}': plugin directory does not exist", origin, dir.string())));
      return;
    }
    entries.push_back({std::filesystem::weakly_canonical(dir, ec), 0});
  };
  for (const auto& dir : options.plugin_dirs) add_user_dir(dir, "--plugin-dir");
  if (options.use_environment) {
    for (const auto& dir : env::plugin_path()) add_user_dir(dir, "KICK_PLUGIN_PATH entry");
  }
  if (options.use_default_dirs) {
    std::error_code ec;
    const std::filesystem::path exe = options.executable.empty() ? current_executable() : options.executable;
    const std::filesystem::path relative = (exe.parent_path() / KICK_PLUGIN_RELATIVE_DIR).lexically_normal();
    if (!exe.empty() && std::filesystem::is_directory(relative, ec)) {
      entries.push_back({std::filesystem::weakly_canonical(relative, ec), 1});
    } else if (std::filesystem::is_directory(KICK_PLUGIN_INSTALL_PREFIX_DIR, ec)) {
      entries.push_back({std::filesystem::weakly_canonical(KICK_PLUGIN_INSTALL_PREFIX_DIR, ec), 1});
    }
  }
  // The same directory named twice is read once.
  std::vector<search_entry> unique;
  for (const auto& e : entries) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const search_entry& u) { return u.dir == e.dir; });
    if (!seen) unique.push_back(e);
  }
  return unique;
}

}  // namespace

plugin_registry plugin_registry::discover(const registry_options& options) {
  plugin_registry r;
  const std::vector<search_entry> entries = search_entries(options, r.errors_);
  std::map<std::string, std::pair<std::size_t, int>> seen;  // "kind/name" -> (index in manifests_, rank)
  for (const search_entry& entry : entries) {
    r.search_dirs_.push_back(entry.dir);
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(entry.dir, ec)) {
      if (item.path().extension() == ".toml") files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto manifest = parse_plugin_manifest(file);
      if (!manifest) {
        r.errors_.push_back(manifest.error());
        continue;
      }
      const std::string key = manifest->kind + "/" + manifest->name;
      auto it = seen.find(key);
      if (it == seen.end()) {
        seen[key] = {r.manifests_.size(), entry.rank};
        r.manifests_.push_back(std::move(*manifest));
      } else if (it->second.second == entry.rank) {
        r.errors_.push_back(status(status_code::invalid_argument,
                                   fmt::format("{}: duplicate {} plugin name '{}' (also declared by {})", file.string(),
                                               manifest->kind, manifest->name,
                                               r.manifests_[it->second.first].file.string())));
      }
      // A user-named directory shadows the default one: the later, default manifest is ignored.
    }
  }
  return r;
}

result<const plugin_manifest*> plugin_registry::find(std::string_view kind, std::string_view name) const {
  std::vector<std::string> names;
  for (const plugin_manifest& m : manifests_) {
    if (m.kind != kind) continue;
    if (m.name == name) return &m;
    names.push_back(m.name);
  }
  std::vector<std::string> dirs;
  for (const auto& d : search_dirs_) dirs.push_back(d.string());
  const std::string available = names.empty() ? fmt::format("no {} plugins found", kind)
                                               : fmt::format("available: {}", fmt::join(names, ", "));
  return fail(status_code::not_found,
              fmt::format("unknown {} plugin '{}'{} ({}; searched {})", kind, name, did_you_mean(name, names), available,
                          dirs.empty() ? std::string("no directories") : fmt::format("{}", fmt::join(dirs, ", "))));
}

}  // namespace kick
