// Case folding as the released LLM-KICK code does it with Python's str.lower(), for UTF-8 text.
#pragma once

#include <string>
#include <string_view>

namespace kick::factoid {

// Lower-cases UTF-8 text the way Python's str.lower() does for ASCII, Latin-1, Latin Extended-A,
// Latin Extended Additional (Vietnamese), Greek and Cyrillic capitals (U+0130 becomes "i" + U+0307
// as in Python). Other characters, and bytes that are not valid UTF-8, are copied unchanged.
std::string lower_utf8(std::string_view text);

// Removes leading and trailing whitespace as Python's str.strip() does for ASCII text:
// space, \t \n \v \f \r and the separators \x1c..\x1f.
std::string_view strip_ascii_whitespace(std::string_view text);

}  // namespace kick::factoid
