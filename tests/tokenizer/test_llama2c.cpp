// llama2c: llama2.c's tokenizer.bin, on stories260K's tok512.bin and on small synthetic files.
#include <catch2/catch.hpp>
#include <cstring>
#include <map>

#include "core/tokenizer/tokenizer.h"
#include "llama2c_reference.h"
#include "support/test_support.h"
#include "vocab_vectors.h"

using kick::test::escaped;
using kick::test::ids_to_string;

TEST_CASE("llama2c loads tok512.bin", "[tokenizer][llama2c]") {
  KICK_REQUIRE_FIXTURE(path, "stories260K/tok512.bin");
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  CHECK((*tok)->kind() == "llama2c");
  CHECK((*tok)->vocab_size() == 512);
  CHECK((*tok)->bos() == 1);
  CHECK((*tok)->eos() == 2);
  CHECK((*tok)->piece(3) == "<0x00>");
}

TEST_CASE("llama2c encodes as llama2.c's encode() on tok512.bin", "[tokenizer][llama2c]") {
  KICK_REQUIRE_FIXTURE(path, "stories260K/tok512.bin");
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  const auto reference = kick::test::llama2c_reference::read(path);
  REQUIRE(reference.pieces.size() == 512);

  const auto once = (*tok)->encode("Once upon a time", true);
  REQUIRE(once.has_value());
  REQUIRE(once->size() >= 3);
  CHECK(once->front() == 1);
  CHECK((*tok)->decode(*once) == "Once upon a time");
  // The dummy prefix merges into the first word: the first piece is " O..." when the vocabulary
  // has " O" (it does), and the longest such piece " Once" when that exists.
  REQUIRE(reference.find(" O") >= 0);
  CHECK((*tok)->piece((*once)[1]).starts_with(" O"));
  if (reference.find(" Once") >= 0) CHECK((*once)[1] == reference.find(" Once"));

  std::vector<std::string> texts = {
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
      "Lily's mom said, \"Lily, let's go to the park.\"\nLily was sad and didn't know what to do.",
      "caf\xC3\xA9 \xE2\x84\xA2 \xF0\x9F\xA6\x99 \t\t  end  ",
      "x",
      " ",
  };
  KICK_REQUIRE_FIXTURE(readme, "stories260K/README.md");
  texts.push_back(kick::test::read_file(readme));
  for (const auto& text : texts) {
    INFO("input " << escaped(text));
    const auto ids = (*tok)->encode(text, false);
    REQUIRE(ids.has_value());
    CHECK(ids_to_string(*ids) == ids_to_string(reference.encode(text)));
    if (!text.starts_with(' ')) CHECK(escaped((*tok)->decode(*ids)) == escaped(text));
  }
  CHECK((*tok)->encode("", false)->empty());
  CHECK(*(*tok)->encode("", true) == std::vector<std::int32_t>{1});
}

namespace {

// A llama2.c tokenizer.bin: unknown, BOS, EOS, the 256 byte tokens, then `extra`.
std::string synthetic_vocab(const std::vector<std::pair<std::string, float>>& extra) {
  std::vector<std::pair<std::string, float>> tokens = {{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}};
  for (int b = 0; b < 256; ++b) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    tokens.push_back({std::string("<0x") + k_hex[b >> 4] + k_hex[b & 15] + ">", 0});
  }
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  std::int32_t max_length = 0;
  for (const auto& [p, s] : tokens) max_length = std::max(max_length, static_cast<std::int32_t>(p.size()));
  std::string bytes(reinterpret_cast<const char*>(&max_length), 4);
  for (const auto& [p, s] : tokens) {
    const auto length = static_cast<std::int32_t>(p.size());
    bytes.append(reinterpret_cast<const char*>(&s), 4);
    bytes.append(reinterpret_cast<const char*>(&length), 4);
    bytes += p;
  }
  return bytes;
}

std::vector<std::string> pieces_of(const kick::tokenizer& tok, const std::vector<std::int32_t>& ids) {
  std::vector<std::string> pieces;
  for (const auto id : ids) pieces.push_back(tok.piece(id));
  return pieces;
}

}  // namespace

TEST_CASE("llama2c merges the best-scoring pair first, the leftmost on ties", "[tokenizer][llama2c]") {
  const auto dir = kick::test::scratch_dir("llama2c_synthetic");
  const auto path = dir / "tokenizer.bin";
  kick::test::write_file(path, synthetic_vocab({{" ", -10}, {"a", -10}, {"b", -10}, {"c", -10},
                                                {"ab", -1}, {"ba", -1}, {"bc", -0.5f}, {" c", -2},
                                                {"cc", -1e11f}}));
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  CHECK((*tok)->kind() == "llama2c");
  CHECK((*tok)->vocab_size() == 3 + 256 + 9);
  const kick::tokenizer& t = **tok;
  using pieces = std::vector<std::string>;
  // "ab" and "ba" tie: the leftmost pair merges first.
  CHECK(pieces_of(t, *t.encode("aba", false)) == pieces{" ", "ab", "a"});
  // "bc" outscores "ab".
  CHECK(pieces_of(t, *t.encode("abc", false)) == pieces{" ", "a", "bc"});
  // The dummy prefix merges like any piece; "cc" scores at llama2.c's floor and never merges.
  CHECK(pieces_of(t, *t.encode("cc", false)) == pieces{" c", "c"});
  // Characters without a piece fall back to byte tokens (id = byte + 3) and decode to the bytes.
  const auto e_acute = t.encode("a\xC3\xA9", false);
  CHECK(*e_acute == std::vector<std::int32_t>{t.encode(" ", false)->front(), t.encode("a", false)->back(),
                                              0xC3 + 3, 0xA9 + 3});
  CHECK(t.decode(*e_acute) == "a\xC3\xA9");
  CHECK(t.decode(*t.encode("ab c", true)) == "ab c");
}
