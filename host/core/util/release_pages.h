// Giving back the pages of a read-only file mapping that a process has copied out of.
#pragma once

#include <cstddef>
#include <span>

#include "core/util/mapped_file.h"

namespace kick {

// Tells the kernel that this process no longer needs the whole pages inside `range` of `file`'s
// read-only mapping (madvise MADV_DONTNEED): they leave the process's resident set (they stay in
// the page cache) and are read again from the file on the next access, so the contents are
// unchanged. Used after copying a tensor out of the mapping, so that a loaded model is not
// resident twice. Partial pages at either end are kept; a range outside the mapping is ignored.
void release_mapped_pages(const mapped_file& file, std::span<const std::byte> range);

}  // namespace kick
