// The sentencepiece path (libsentencepiece on llama2-tokenizer.model) against gguf-spm on the
// same Llama vocabulary embedded in a GGUF file.
#include <catch2/catch.hpp>

#include "core/tokenizer/tokenizer.h"
#include "support/test_support.h"
#include "vocab_vectors.h"

using kick::test::escaped;
using kick::test::ids_to_string;

TEST_CASE("sentencepiece loads llama2-tokenizer.model", "[tokenizer][sentencepiece]") {
  KICK_REQUIRE_FIXTURE(path, "tokenizer/llama2-tokenizer.model");
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  CHECK((*tok)->kind() == "sentencepiece");
  CHECK((*tok)->vocab_size() == 32000);
  CHECK((*tok)->bos() == 1);
  CHECK((*tok)->eos() == 2);
  CHECK((*tok)->piece(2) == "</s>");
  CHECK((*tok)->piece(32000).empty());
}

TEST_CASE("gguf-spm and libsentencepiece agree on every test vector", "[tokenizer][sentencepiece][gguf]") {
  KICK_REQUIRE_FIXTURE(model, "tokenizer/llama2-tokenizer.model");
  KICK_REQUIRE_FIXTURE(gguf, "tokenizer/ggml-vocab-llama-spm.gguf");
  KICK_REQUIRE_FIXTURE(inp, "tokenizer/ggml-vocab-llama-spm.gguf.inp");
  KICK_REQUIRE_FIXTURE(out, "tokenizer/ggml-vocab-llama-spm.gguf.out");
  const auto spm = kick::load_tokenizer(model);
  const auto gg = kick::load_tokenizer(gguf);
  REQUIRE(spm.has_value());
  REQUIRE(gg.has_value());
  auto vectors = kick::test::read_vocab_vectors(inp, out);
  // Beyond the vectors: text that spells control and byte pieces, which must stay plain text.
  for (const char* extra : {"<s>hello</s> <unk> <0x0A>", "a\xE2\x96\x81" "b  c", "\xE2\x96\x81 x"}) {
    vectors.push_back({extra, {}});
  }
  int n_round_trips = 0;
  for (const auto& v : vectors) {
    INFO("input " << escaped(v.input));
    const auto a = (*spm)->encode(v.input, true);
    const auto b = (*gg)->encode(v.input, true);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(ids_to_string(*a) == ids_to_string(*b));
    const std::string text = (*spm)->decode(*a);
    CHECK(escaped((*gg)->decode(*a)) == escaped(text));
    // decode(encode(x)) == x wherever SentencePiece itself round-trips.
    if (text == v.input) {
      ++n_round_trips;
      CHECK(escaped((*gg)->decode(*b)) == escaped(v.input));
    }
  }
  // Most inputs round-trip; those that start with a space need not.
  CHECK(n_round_trips >= 30);
}

TEST_CASE("sentencepiece decodes what it encodes", "[tokenizer][sentencepiece]") {
  KICK_REQUIRE_FIXTURE(model, "tokenizer/llama2-tokenizer.model");
  const auto spm = kick::load_tokenizer(model);
  REQUIRE(spm.has_value());
  const std::string text = "The quick brown fox \xE2\x9C\x85 jumps.\n";
  const auto ids = (*spm)->encode(text, true);
  REQUIRE(ids.has_value());
  CHECK(ids->front() == 1);
  CHECK((*spm)->decode(*ids) == text);
  CHECK((*spm)->encode("", false)->empty());
}

TEST_CASE("gguf-spm and libsentencepiece agree on long mixed text", "[tokenizer][sentencepiece][gguf]") {
  KICK_REQUIRE_FIXTURE(model, "tokenizer/llama2-tokenizer.model");
  KICK_REQUIRE_FIXTURE(gguf, "tokenizer/ggml-vocab-llama-spm.gguf");
  KICK_REQUIRE_FIXTURE(inp, "tokenizer/ggml-vocab-llama-spm.gguf.inp");
  KICK_REQUIRE_FIXTURE(prose, "stories260K/README.md");
  KICK_REQUIRE_FIXTURE(notes, "tokenizer/README.md");
  const auto spm = kick::load_tokenizer(model);
  const auto gg = kick::load_tokenizer(gguf);
  REQUIRE(spm.has_value());
  REQUIRE(gg.has_value());
  std::string text;
  for (const auto& p : {prose, inp, notes}) text += kick::test::read_file(p);
  text += "  ---  \t\n" + text;
  const auto a = (*spm)->encode(text, false);
  const auto b = (*gg)->encode(text, false);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  REQUIRE(a->size() == b->size());
  CHECK(*a == *b);
  CHECK((*gg)->decode(*b) == (*spm)->decode(*a));
}
