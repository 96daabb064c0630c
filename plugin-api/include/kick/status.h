// kick plugin API: status codes and result<T>.
// Every function that crosses the plugin boundary reports failure through these types;
// no exception ever crosses it (see plugin.h for the guards that enforce this).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace kick {

// A subset of the canonical (abseil/gRPC) status codes.
enum class status_code : int {
  ok = 0,
  invalid_argument,     // bad input: a value, a file's content, a parameter
  not_found,            // a file, key, tensor or plugin that does not exist
  failed_precondition,  // the call is valid but not in this state
  out_of_range,         // a position, index or size beyond a limit
  unimplemented,        // a feature this build or plugin does not have
  resource_exhausted,   // out of memory or capacity
  unavailable,          // a device or service that cannot be used now
  internal,             // a bug or an escaped exception
};

constexpr const char* to_string(status_code code) {
  switch (code) {
    case status_code::ok: return "ok";
    case status_code::invalid_argument: return "invalid_argument";
    case status_code::not_found: return "not_found";
    case status_code::failed_precondition: return "failed_precondition";
    case status_code::out_of_range: return "out_of_range";
    case status_code::unimplemented: return "unimplemented";
    case status_code::resource_exhausted: return "resource_exhausted";
    case status_code::unavailable: return "unavailable";
    case status_code::internal: return "internal";
  }
  return "unknown";
}

// Messages are lowercase, name the offending value and what was accepted, and carry no
// plugin prefix: the host adds context ("backend cpu: ...").
class [[nodiscard]] status {
 public:
  status() = default;
  status(status_code code, std::string message) : code_(code), message_(std::move(message)) {}

  static status success() { return {}; }
  bool ok() const { return code_ == status_code::ok; }
  status_code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message reads "<context>: <message>".
  status with_context(std::string_view context) const {
    std::string m(context);
    m += ": ";
    m += message_;
    return {code_, std::move(m)};
  }

 private:
  status_code code_ = status_code::ok;
  std::string message_;
};

template <class T>
using result = std::expected<T, status>;

// `return kick::fail(status_code::not_found, "no tensor 'x'");` works for status and result<T>.
struct failure {
  status error;
  operator status() const { return error; }  // NOLINT: implicit by design
  template <class T>
  operator result<T>() const {  // NOLINT: implicit by design
    return std::unexpected(error);
  }
};

inline failure fail(status_code code, std::string message) {
  return failure{status(code, std::move(message))};
}
inline failure fail(status s) { return failure{std::move(s)}; }

}  // namespace kick
