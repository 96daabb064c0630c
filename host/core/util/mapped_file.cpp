#include "core/util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kick {

result<std::shared_ptr<const mapped_file>> mapped_file::open(const std::filesystem::path& path) {
  const std::string p = path.string();
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? status_code::not_found : status_code::unavailable,
                p + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(status_code::unavailable, p + ": cannot stat: " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(status_code::invalid_argument, p + ": is a directory, expected a file");
  }
  std::shared_ptr<mapped_file> file(new mapped_file());
  file->path_ = path;
  file->size_bytes_ = static_cast<std::size_t>(st.st_size);
  if (file->size_bytes_ > 0) {
    void* m = ::mmap(nullptr, file->size_bytes_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return fail(status_code::unavailable, p + ": cannot memory-map: " + std::strerror(err));
    }
    file->data_ = static_cast<const std::byte*>(m);
  }
  ::close(fd);
  return std::shared_ptr<const mapped_file>(std::move(file));
}

mapped_file::~mapped_file() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_bytes_);
}

}  // namespace kick
