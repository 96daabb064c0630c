#include "vocab_vectors.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "support/test_support.h"

namespace kick::test {

std::vector<vocab_vector> read_vocab_vectors(const std::filesystem::path& inp, const std::filesystem::path& out) {
  static constexpr std::string_view k_separator = "\n__ggml_vocab_test__\n";
  const std::string inputs = read_file(inp);
  std::vector<vocab_vector> vectors;
  std::size_t at = 0;
  while (at < inputs.size()) {
    const std::size_t end = inputs.find(k_separator, at);
    REQUIRE(end != std::string::npos);  // every input, the last included, ends with a separator
    vectors.push_back({inputs.substr(at, end - at), {}});
    at = end + k_separator.size();
  }
  std::istringstream lines(read_file(out));
  std::string line;
  std::size_t i = 0;
  while (std::getline(lines, line)) {
    REQUIRE(i < vectors.size());
    std::istringstream ids(line);
    std::int32_t id = 0;
    while (ids >> id) vectors[i].expected.push_back(id);
    REQUIRE(ids.eof());  // nothing but ids on the line
    ++i;
  }
  REQUIRE(i == vectors.size());
  return vectors;
}

std::string escaped(const std::string& text) {
  std::string s = "\"";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\n') {
      s += "\\n";
    } else if (c == '\t') {
      s += "\\t";
    } else if (c == '"' || c == '\\') {
      s += '\\';
      s += c;
    } else if (b < 0x20 || b >= 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      s += "\\x";
      s += k_hex[b >> 4];
      s += k_hex[b & 15];
    } else {
      s += c;
    }
  }
  return s + "\"";
}

std::string ids_to_string(const std::vector<std::int32_t>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s += ' ';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

}  // namespace kick::test
