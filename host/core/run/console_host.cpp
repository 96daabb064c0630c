#include "core/run/console_host.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/util/environment.h"

namespace kick {

bool parse_log_level(std::string_view name, log_level& out) {
  if (name == "debug") out = log_level::debug;
  else if (name == "info") out = log_level::info;
  else if (name == "warn") out = log_level::warn;
  else if (name == "error") out = log_level::error;
  else return false;
  return true;
}

console_host::console_host(log_level level) : level_(level), progress_enabled_(!env::no_progress()) {
  if (const auto from_env = env::log_level()) {
    log_level parsed{};
    if (parse_log_level(*from_env, parsed)) level_ = parsed;
  }
}

void console_host::log(log_level level, std::string_view message) const {
  if (level < level_) return;
  static constexpr const char* k_names[] = {"debug", "info", "warn", "error"};
  std::lock_guard lock(mutex_);
  const std::string prefix = context_.empty() ? std::string() : fmt::format("{}: ", context_);
  fmt::print(stderr, "kickhost [{}] {}{}\n", k_names[static_cast<int>(level)], prefix, message);
  std::fflush(stderr);
}

void console_host::progress(std::string_view label, std::int64_t done, std::int64_t total) const {
  if (!progress_enabled_ || level_ > log_level::info) return;
  using clock = std::chrono::steady_clock;
  std::lock_guard lock(mutex_);
  const auto now = clock::now();
  if (label != last_label_) {
    last_label_ = label;
    label_started_ = now;
    last_progress_ = clock::time_point{};
  }
  const bool finished = total > 0 && done >= total;
  // At most one line every two seconds, plus the final one.
  if (!finished && now - last_progress_ < std::chrono::seconds(2)) return;
  last_progress_ = now;
  const double seconds = std::chrono::duration<double>(now - label_started_).count();
  if (total > 0) {
    const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(total);
    std::string eta;
    if (done > 0 && !finished) eta = fmt::format(", ~{:.0f} s left", seconds * static_cast<double>(total - done) / static_cast<double>(done));
    fmt::print(stderr, "kickhost [progress] {}: {}/{} ({:.0f}%, {:.1f} s{})\n", label, done, total, percent, seconds, eta);
  } else {
    fmt::print(stderr, "kickhost [progress] {}: {} ({:.1f} s)\n", label, done, seconds);
  }
  std::fflush(stderr);
}

}  // namespace kick
