// kick plugin API: services the host offers every plugin.
// Plugins never write to stdout or stderr themselves: they log and report progress here.
#pragma once

#include <cstdint>
#include <string_view>

namespace kick {

enum class log_level : int { debug = 0, info = 1, warn = 2, error = 3 };

class host {
 public:
  virtual void log(log_level level, std::string_view message) const = 0;
  // Reports that `done` of `total` units of the piece of work named `label` are finished.
  // Cheap to call often: the host throttles what it prints.
  virtual void progress(std::string_view label, std::int64_t done, std::int64_t total) const = 0;

 protected:
  ~host() = default;
};

}  // namespace kick
