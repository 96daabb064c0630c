// kick plugin API: the one C entry symbol every plugin library exports.
//
// A plugin library exports exactly one symbol, `kick_plugin_entry`, returning a pointer to a
// static kick_plugin_info. The host compares abi_version and build_id with its own values and
// refuses the library on any mismatch. Behind the entry, plugins implement C++ interfaces; that
// is sound only because build_id pins the compiler and C++ library ABI both sides were built with.
#pragma once

#include <cstddef>  // defines _GLIBCXX_USE_CXX11_ABI under libstdc++
#include <cstdint>
#include <memory>

#include "kick/params.h"
#include "kick/status.h"

// Bumped on every change to the headers under plugin-api/include/kick.
#define KICK_ABI_VERSION 5

#define KICK_ABI_STRINGIFY_(x) #x
#define KICK_ABI_STRINGIFY(x) KICK_ABI_STRINGIFY_(x)

#if defined(__clang__)
#define KICK_COMPILER_ID "clang-" __clang_version__
#elif defined(__GNUC__)
#define KICK_COMPILER_ID "gcc-" __VERSION__
#else
#define KICK_COMPILER_ID "unknown-compiler"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define KICK_STDLIB_ID "libstdc++-cxx11abi" KICK_ABI_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define KICK_STDLIB_ID "libc++" KICK_ABI_STRINGIFY(_LIBCPP_VERSION)
#else
#define KICK_STDLIB_ID "unknown-stdlib"
#endif

// What must match between the host and a plugin for C++ interfaces to be safe to share.
#define KICK_BUILD_ID \
  KICK_COMPILER_ID ";" KICK_STDLIB_ID ";cplusplus" KICK_ABI_STRINGIFY(__cplusplus) ";abi" KICK_ABI_STRINGIFY(KICK_ABI_VERSION)

#define KICK_PLUGIN_ENTRY_NAME "kick_plugin_entry"

namespace kick {
class host;
class method;
class backend;
class task;

using create_method_fn = result<std::unique_ptr<method>> (*)(const host& services, const param_map& params);
using create_backend_fn = result<std::unique_ptr<backend>> (*)(const host& services, const param_map& params);
using create_task_fn = result<std::unique_ptr<task>> (*)(const host& services, const param_map& params);
}  // namespace kick

extern "C" {

// Exactly one of the create_* pointers is set, the one of `kind`.
struct kick_plugin_info {
  std::uint32_t abi_version;  // KICK_ABI_VERSION the plugin was built with
  std::uint32_t struct_size;  // sizeof(kick_plugin_info) the plugin was built with
  const char* build_id;       // KICK_BUILD_ID the plugin was built with
  const char* kind;           // "method" | "backend" | "task"
  const char* name;           // must equal the manifest's [plugin] name
  const char* version;        // must equal the manifest's [plugin] version
  kick::create_method_fn create_method;
  kick::create_backend_fn create_backend;
  kick::create_task_fn create_task;
};

using kick_plugin_entry_fn = const kick_plugin_info* (*)();
}
