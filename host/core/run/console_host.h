// The host services kickhost gives plugins: log lines and throttled progress on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "kick/host.h"

namespace kick {

class console_host final : public host {
 public:
  // Level from KICK_LOG_LEVEL unless `level` overrides; progress off under KICK_NO_PROGRESS.
  explicit console_host(log_level level = log_level::info);

  void set_level(log_level level) { level_ = level; }
  log_level level() const { return level_; }
  void set_context(std::string context) { context_ = std::move(context); }

  void log(log_level level, std::string_view message) const override;
  void progress(std::string_view label, std::int64_t done, std::int64_t total) const override;

 private:
  log_level level_;
  bool progress_enabled_;
  std::string context_;  // prefixed to plugin log lines, e.g. "task perplexity"
  mutable std::mutex mutex_;
  mutable std::chrono::steady_clock::time_point last_progress_{};
  mutable std::string last_label_;
  mutable std::chrono::steady_clock::time_point label_started_{};
};

// Parses debug|info|warn|error.
bool parse_log_level(std::string_view name, log_level& out);

}  // namespace kick
