// Test doubles for plugin loading: one source, built in several variants (see CMakeLists.txt).
//   noentry      exports no kick_plugin_entry
//   abimismatch  reports an ABI version the host does not have
//   buildid      reports another compiler's build id
//   throwing     a valid backend whose factory works but whose load() throws
#include <stdexcept>

#include "kick/plugin.h"

#if defined(FAKE_NOENTRY)

extern "C" __attribute__((visibility("default"))) int kick_not_the_entry() { return 42; }

#else

namespace {

class fake_backend final : public kick::backend {
 public:
  static kick::result<std::unique_ptr<fake_backend>> create(const kick::host&, const kick::param_map&) {
    return std::make_unique<fake_backend>();
  }
  std::string describe() const override { return "fake"; }
  kick::result<std::unique_ptr<kick::model_runner>> load(const kick::model_view&, const kick::runner_options&) override {
    throw std::runtime_error("fake backend refuses to load");
  }
};

}  // namespace

#if defined(FAKE_THROWING)
KICK_BACKEND_PLUGIN(fake_backend, FAKE_NAME, "0.1.0")
#else
KICK_EXPORT const kick_plugin_info* kick_plugin_entry() {
#if defined(FAKE_ABIMISMATCH)
  static const kick_plugin_info info{KICK_ABI_VERSION + 98, sizeof(kick_plugin_info), KICK_BUILD_ID, "backend", FAKE_NAME,
                                     "0.1.0", nullptr,
                                     &kick::detail::create_guarded<kick::backend, kick::detail::guarded_backend, fake_backend>,
                                     nullptr};
#else
  static const kick_plugin_info info{KICK_ABI_VERSION, sizeof(kick_plugin_info), "other-compiler;other-stdlib", "backend",
                                     FAKE_NAME, "0.1.0", nullptr,
                                     &kick::detail::create_guarded<kick::backend, kick::detail::guarded_backend, fake_backend>,
                                     nullptr};
#endif
  return &info;
}
#endif

#endif
