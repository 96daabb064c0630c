// llama.cpp's tokenizer test vectors (<vocab>.gguf.inp / .out) and small helpers for the suite.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kick::test {

struct vocab_vector {
  std::string input;
  std::vector<std::int32_t> expected;  // without BOS
};

// Reads the pair: `.inp` holds the inputs, each followed by "\n__ggml_vocab_test__\n" (the
// newline before the separator line is not part of the input); `.out` one line of space
// separated ids per input. Fails the running test when the two do not pair up.
std::vector<vocab_vector> read_vocab_vectors(const std::filesystem::path& inp, const std::filesystem::path& out);

// `text` with control and non-ASCII bytes escaped, for failure messages.
std::string escaped(const std::string& text);

std::string ids_to_string(const std::vector<std::int32_t>& ids);

}  // namespace kick::test
