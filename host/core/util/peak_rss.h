// Memory of the running process, for results and benchmarks.
#pragma once

#include <cstdint>

namespace kick {

// The process's peak resident set size so far in bytes (getrusage RUSAGE_SELF ru_maxrss, which
// Linux reports in KiB), or 0 when it cannot be read. Memory-mapped weight pages count once
// they are touched.
std::int64_t peak_rss_bytes();

// The machine's physical memory in bytes (sysconf), or 0 when unknown.
std::int64_t total_ram_bytes();

}  // namespace kick
