#include "llama2c_reference.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "support/test_support.h"

namespace kick::test {

llama2c_reference llama2c_reference::read(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  llama2c_reference r;
  std::size_t at = 4;
  while (at < bytes.size()) {
    REQUIRE(bytes.size() - at >= 8);
    float score = 0;
    std::int32_t length = 0;
    std::memcpy(&score, bytes.data() + at, 4);
    std::memcpy(&length, bytes.data() + at + 4, 4);
    at += 8;
    REQUIRE(length >= 0);
    REQUIRE(static_cast<std::size_t>(length) <= bytes.size() - at);
    r.pieces.push_back(bytes.substr(at, static_cast<std::size_t>(length)));
    r.scores.push_back(score);
    r.ids.emplace(r.pieces.back(), static_cast<std::int32_t>(r.pieces.size() - 1));
    at += static_cast<std::size_t>(length);
  }
  return r;
}

std::int32_t llama2c_reference::find(const std::string& piece) const {
  const auto it = ids.find(piece);
  return it == ids.end() ? -1 : it->second;
}

std::vector<std::int32_t> llama2c_reference::encode(const std::string& text) const {
  std::vector<std::int32_t> tokens;
  if (text.empty()) return tokens;
  tokens.push_back(find(" "));
  std::string buffer;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c & 0xC0) != 0x80) buffer.clear();
    buffer += c;
    const bool next_continues = i + 1 < text.size() && (text[i + 1] & 0xC0) == 0x80;
    if (next_continues && buffer.size() < 4) continue;
    if (const std::int32_t id = find(buffer); id != -1) {
      tokens.push_back(id);
    } else {
      for (const char b : buffer) tokens.push_back(static_cast<unsigned char>(b) + 3);
    }
    buffer.clear();
  }
  while (true) {
    float best_score = -1e10f;
    std::int32_t best_id = -1;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      const std::int32_t id = find(pieces[static_cast<std::size_t>(tokens[i])] +
                                   pieces[static_cast<std::size_t>(tokens[i + 1])]);
      if (id != -1 && scores[static_cast<std::size_t>(id)] > best_score) {
        best_score = scores[static_cast<std::size_t>(id)];
        best_id = id;
        best_index = i;
      }
    }
    if (best_id == -1) break;
    tokens[best_index] = best_id;
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(best_index) + 1);
  }
  return tokens;
}

}  // namespace kick::test
