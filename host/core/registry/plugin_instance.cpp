#include "core/registry/plugin_instance.h"

#include <fmt/format.h>

#include <string_view>

namespace kick {

namespace {

status mismatch(const plugin_library& lib, const plugin_manifest& m, std::string_view what, std::string_view in_library,
                std::string_view in_manifest) {
  return fail(status_code::failed_precondition,
              fmt::format("{}: plugin {} '{}' != manifest {} '{}' ({})", lib.path.string(), what, in_library, what,
                          in_manifest, m.file.string()));
}

template <class T, class Fn>
result<plugin_instance<T>> create(const plugin_manifest& manifest, const host& services, const param_map& params,
                                  Fn plugin_info_field) {
  auto lib = open_checked_library(manifest);
  if (!lib) return std::unexpected(lib.error());
  const auto factory = plugin_info_field(*lib->info);
  plugin_instance<T> instance;
  instance.library = std::move(*lib);
  auto made = [&]() -> result<std::unique_ptr<T>> {
    try {  // a last net: plugins built with the KICK_*_PLUGIN macros never throw
      return factory(services, params);
    } catch (const std::exception& e) {
      return fail(status_code::internal, fmt::format("exception from plugin factory: {}", e.what()));
    } catch (...) {
      return fail(status_code::internal, "unknown exception from plugin factory");
    }
  }();
  if (!made) return std::unexpected(made.error().with_context(fmt::format("{} {}", manifest.kind, manifest.name)));
  if (*made == nullptr) {
    return fail(status_code::internal, fmt::format("{} {}: factory returned no object", manifest.kind, manifest.name));
  }
  instance.object = std::move(*made);
  return instance;
}

}  // namespace

result<plugin_library> open_checked_library(const plugin_manifest& manifest) {
  auto lib = open_plugin_library(manifest.library);
  if (!lib) return std::unexpected(lib.error());
  const kick_plugin_info& info = *lib->info;
  if (manifest.kind != info.kind) return fail(mismatch(*lib, manifest, "kind", info.kind, manifest.kind));
  if (manifest.name != info.name) return fail(mismatch(*lib, manifest, "name", info.name, manifest.name));
  if (manifest.version != info.version) return fail(mismatch(*lib, manifest, "version", info.version, manifest.version));
  return lib;
}

result<plugin_instance<backend>> create_backend(const plugin_manifest& manifest, const host& services, const param_map& params) {
  return create<backend>(manifest, services, params, [](const kick_plugin_info& i) { return i.create_backend; });
}

result<plugin_instance<task>> create_task(const plugin_manifest& manifest, const host& services, const param_map& params) {
  return create<task>(manifest, services, params, [](const kick_plugin_info& i) { return i.create_task; });
}

result<plugin_instance<method>> create_method(const plugin_manifest& manifest, const host& services, const param_map& params) {
  return create<method>(manifest, services, params, [](const kick_plugin_info& i) { return i.create_method; });
}

}  // namespace kick
