#include "core/util/peak_rss.h"

#include <sys/resource.h>
#include <unistd.h>

namespace kick {

std::int64_t peak_rss_bytes() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss < 0) return 0;
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

std::int64_t total_ram_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::int64_t>(pages) * page_size;
}

}  // namespace kick
