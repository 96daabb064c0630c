// String helpers shared by the multiple-choice task's files.
#pragma once

#include <string>
#include <string_view>

namespace kick::mc {

// Concatenates string-like parts (avoids GCC 12's bogus -Wrestrict on `"literal" + std::string`).
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

}  // namespace kick::mc
