// "did you mean" suggestions for misspelt names (keys, plugins, commands).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kick {

// Edit distance between two byte strings (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b);

// Returns " (did you mean 'x'?)" for the closest candidate within a distance of about a third of
// the name's length, or "" when none is close.
std::string did_you_mean(std::string_view name, std::span<const std::string> candidates);

}  // namespace kick
