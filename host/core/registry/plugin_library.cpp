#include "core/registry/plugin_library.h"

#include <dlfcn.h>

#include <boost/dll/shared_library.hpp>
#include <mutex>
#include <string_view>
#include <vector>

namespace kick {

namespace {

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out.append(s);
  out += '\'';
  return out;
}

status check_info(const std::filesystem::path& path, const kick_plugin_info* info) {
  const std::string where = path.string() + ": ";
  if (info == nullptr) return fail(status_code::invalid_argument, where + KICK_PLUGIN_ENTRY_NAME " returned null");
  if (info->struct_size != sizeof(kick_plugin_info)) {
    return fail(status_code::failed_precondition,
                where + "plugin info struct size " + std::to_string(info->struct_size) + " != host's " +
                    std::to_string(sizeof(kick_plugin_info)) + " (rebuild the plugin against this kick)");
  }
  if (info->abi_version != KICK_ABI_VERSION) {
    return fail(status_code::failed_precondition,
                where + "plugin ABI version " + std::to_string(info->abi_version) + " != host ABI version " +
                    std::to_string(KICK_ABI_VERSION) + " (rebuild the plugin against this kick)");
  }
  const std::string_view build_id = info->build_id != nullptr ? info->build_id : "";
  if (build_id != KICK_BUILD_ID) {
    return fail(status_code::failed_precondition, where + "plugin build id " + in_quotes(build_id) +
                                                      " != host build id " + in_quotes(KICK_BUILD_ID) +
                                                      " (plugin and host must share compiler and C++ library)");
  }
  const std::string_view kind = info->kind != nullptr ? info->kind : "";
  const std::string_view name = info->name != nullptr ? info->name : "";
  const bool has_factory = (kind == "method" && info->create_method != nullptr) ||
                           (kind == "backend" && info->create_backend != nullptr) ||
                           (kind == "task" && info->create_task != nullptr);
  if (kind != "method" && kind != "backend" && kind != "task") {
    return fail(status_code::invalid_argument,
                where + "plugin kind " + in_quotes(kind) + " is not one of 'method', 'backend', 'task'");
  }
  if (!has_factory) return fail(status_code::invalid_argument, where + "plugin of kind " + in_quotes(kind) + " has no factory");
  if (name.empty() || info->version == nullptr) {
    return fail(status_code::invalid_argument, where + "plugin info lacks a name or version");
  }
  const std::string expected = "libkick-" + std::string(kind) + "-" + std::string(name) + ".so";
  if (path.filename() != expected) {
    return fail(status_code::invalid_argument,
                where + "file name " + in_quotes(path.filename().string()) + " != " + in_quotes(expected) +
                    " (libkick-<kind>-<name>.so for the plugin's own kind and name)");
  }
  return status::success();
}

}  // namespace

result<plugin_library> open_plugin_library(const std::filesystem::path& path) {
  namespace dll = boost::dll;
  if (!std::filesystem::exists(path)) {
    return fail(status_code::not_found, path.string() + ": plugin library not found");
  }
  auto lib = std::make_shared<dll::shared_library>();
  boost::dll::fs::error_code ec;
  lib->load(path, ec, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (ec || !lib->is_loaded()) {
    const char* why = ::dlerror();
    return fail(status_code::invalid_argument, path.string() + ": cannot load plugin library: " +
                                                   (why != nullptr ? std::string(why) : ec.message()));
  }
  if (!lib->has(KICK_PLUGIN_ENTRY_NAME)) {
    return fail(status_code::invalid_argument,
                path.string() + ": not a kick plugin: it does not export '" KICK_PLUGIN_ENTRY_NAME "'");
  }
  const auto entry = lib->get<const kick_plugin_info*()>(KICK_PLUGIN_ENTRY_NAME);
  const kick_plugin_info* info = entry();
  if (status s = check_info(path, info); !s.ok()) return fail(s);
  plugin_library out;
  out.path = path;
  out.info = info;
  // Plugin libraries are never unloaded before exit (a plugin may have left state behind, such
  // as registered atexit handlers or thread-local destructors): every loaded library is kept here.
  static std::mutex mutex;
  static std::vector<std::shared_ptr<dll::shared_library>>* const loaded = new std::vector<std::shared_ptr<dll::shared_library>>();
  {
    std::lock_guard lock(mutex);
    loaded->push_back(lib);
  }
  out.handle = std::shared_ptr<void>(lib, lib.get());
  return out;
}

}  // namespace kick
