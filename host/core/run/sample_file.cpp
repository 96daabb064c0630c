#include "core/run/sample_file.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace kick {

result<std::unique_ptr<sample_file>> sample_file::create(const std::filesystem::path& final_path) {
  std::error_code ec;
  const std::filesystem::path dir = final_path.has_parent_path() ? final_path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(status_code::unavailable, fmt::format("{}: cannot create directory: {}", dir.string(), ec.message()));
  std::unique_ptr<sample_file> f(new sample_file());
  f->final_path_ = final_path;
  f->temp_path_ = dir / fmt::format(".{}.tmp-{}", final_path.filename().string(), ::getpid());
  f->file_ = std::fopen(f->temp_path_.c_str(), "wb");
  if (f->file_ == nullptr) {
    return fail(status_code::unavailable, fmt::format("{}: cannot write: {}", f->temp_path_.string(), std::strerror(errno)));
  }
  return f;
}

sample_file::~sample_file() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
  }
}

status sample_file::write(std::string_view json_object) {
  if (file_ == nullptr) return fail(status_code::failed_precondition, "sample file already committed");
  if (json_object.find('\n') != std::string_view::npos) {
    return fail(status_code::invalid_argument, "a sample record must be one line of JSON");
  }
  const auto parsed = nlohmann::json::parse(json_object, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return fail(status_code::invalid_argument, "a sample record must be a JSON object");
  }
  if (std::fwrite(json_object.data(), 1, json_object.size(), file_) != json_object.size() || std::fputc('\n', file_) == EOF) {
    return fail(status_code::unavailable, fmt::format("{}: write failed: {}", temp_path_.string(), std::strerror(errno)));
  }
  ++n_records_;
  return status::success();
}

status sample_file::commit() {
  if (file_ == nullptr) return fail(status_code::failed_precondition, "sample file already committed");
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
    return fail(status_code::unavailable, fmt::format("{}: cannot flush: {}", temp_path_.string(), std::strerror(errno)));
  }
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const int err = errno;
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
    return fail(status_code::unavailable, fmt::format("{}: cannot rename into place: {}", final_path_.string(), std::strerror(err)));
  }
  return status::success();
}

}  // namespace kick
