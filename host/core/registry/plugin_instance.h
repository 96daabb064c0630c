// Creating plugin objects from validated manifests: load the library, cross-check it against
// the manifest, and call its factory with validated parameters.
#pragma once

#include <memory>

#include "core/registry/plugin_library.h"
#include "core/registry/plugin_manifest.h"
#include "kick/backend.h"
#include "kick/host.h"
#include "kick/method.h"
#include "kick/params.h"
#include "kick/task.h"

namespace kick {

// An object created by a plugin, kept together with the library that holds its code.
// Members are destroyed in reverse order: the object before the library handle.
template <class T>
struct plugin_instance {
  plugin_library library;
  std::unique_ptr<T> object;
  T* operator->() const { return object.get(); }
  T& operator*() const { return *object; }
};

// Opens the manifest's library and checks that its info agrees with the manifest (name, kind,
// version); each mismatch is one line naming the path and both values.
result<plugin_library> open_checked_library(const plugin_manifest& manifest);

result<plugin_instance<backend>> create_backend(const plugin_manifest& manifest, const host& services, const param_map& params);
result<plugin_instance<task>> create_task(const plugin_manifest& manifest, const host& services, const param_map& params);
result<plugin_instance<method>> create_method(const plugin_manifest& manifest, const host& services, const param_map& params);

}  // namespace kick
