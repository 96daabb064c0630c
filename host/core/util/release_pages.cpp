#include "core/util/release_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace kick {

void release_mapped_pages(const mapped_file& file, std::span<const std::byte> range) {
  const auto mapping = file.bytes();
  const auto begin = reinterpret_cast<std::uintptr_t>(range.data());
  const auto end = begin + range.size();
  const auto map_begin = reinterpret_cast<std::uintptr_t>(mapping.data());
  if (range.empty() || begin < map_begin || end > map_begin + mapping.size()) return;
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  const auto page = static_cast<std::uintptr_t>(page_size);
  const std::uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last <= first) return;
  ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);  // advisory: a failure changes nothing
}

}  // namespace kick
