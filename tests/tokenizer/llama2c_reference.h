// An independent, deliberately naive transcription of llama2.c's encode() (quadratic rescans of
// all adjacent pairs), used to check the llama2c tokenizer's priority-queue merge.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace kick::test {

struct llama2c_reference {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::unordered_map<std::string, std::int32_t> ids;  // the first token with each piece

  // Reads a well-formed tokenizer.bin (fails the running test otherwise).
  static llama2c_reference read(const std::filesystem::path& path);

  std::int32_t find(const std::string& piece) const;

  // llama2.c's encode(text, bos=0, eos=0).
  std::vector<std::int32_t> encode(const std::string& text) const;
};

}  // namespace kick::test
