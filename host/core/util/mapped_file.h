// A read-only memory-mapped file. Model weights are used in place from the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "kick/status.h"

namespace kick {

class mapped_file {
 public:
  // Maps the whole file read-only. Errors name the path: not_found, invalid_argument (a
  // directory), unavailable (mmap failed). An empty file maps to an empty span.
  static result<std::shared_ptr<const mapped_file>> open(const std::filesystem::path& path);

  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file();

  const std::filesystem::path& path() const { return path_; }
  std::span<const std::byte> bytes() const { return {data_, size_bytes_}; }
  std::size_t size_bytes() const { return size_bytes_; }
  const std::byte* data() const { return data_; }

 private:
  mapped_file() = default;
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_bytes_ = 0;
};

}  // namespace kick
