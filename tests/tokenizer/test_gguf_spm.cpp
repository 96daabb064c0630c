// gguf-spm against llama.cpp's test vectors for the Llama SentencePiece vocabulary.
#include <catch2/catch.hpp>
#include <chrono>

#include "core/tokenizer/tokenizer.h"
#include "support/test_support.h"
#include "vocab_vectors.h"

using kick::test::escaped;
using kick::test::ids_to_string;

namespace {
constexpr const char* k_vocab = "tokenizer/ggml-vocab-llama-spm.gguf";
}

TEST_CASE("gguf-spm loads the llama vocabulary from a vocab-only gguf", "[tokenizer][gguf]") {
  KICK_REQUIRE_FIXTURE(path, k_vocab);
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  CHECK((*tok)->kind() == "gguf-spm");
  CHECK((*tok)->vocab_size() == 32000);
  CHECK((*tok)->bos() == 1);
  CHECK((*tok)->eos() == 2);
  CHECK((*tok)->piece(1) == "<s>");
  CHECK((*tok)->piece(3) == "<0x00>");
  CHECK((*tok)->piece(-1).empty());
  CHECK((*tok)->piece(32000).empty());
}

TEST_CASE("gguf-spm matches all of llama.cpp's test vectors", "[tokenizer][gguf]") {
  KICK_REQUIRE_FIXTURE(path, k_vocab);
  KICK_REQUIRE_FIXTURE(inp, "tokenizer/ggml-vocab-llama-spm.gguf.inp");
  KICK_REQUIRE_FIXTURE(out, "tokenizer/ggml-vocab-llama-spm.gguf.out");
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  const auto vectors = kick::test::read_vocab_vectors(inp, out);
  REQUIRE(vectors.size() == 46);
  int n_passed = 0;
  for (const auto& v : vectors) {
    INFO("input " << escaped(v.input) << " expected " << ids_to_string(v.expected));
    const auto ids = (*tok)->encode(v.input, false);
    REQUIRE(ids.has_value());
    CHECK(ids_to_string(*ids) == ids_to_string(v.expected));
    if (*ids == v.expected) ++n_passed;
    const auto with_bos = (*tok)->encode(v.input, true);
    REQUIRE(with_bos.has_value());
    REQUIRE(!with_bos->empty());
    CHECK(with_bos->front() == 1);
    CHECK(std::vector<std::int32_t>(with_bos->begin() + 1, with_bos->end()) == *ids);
  }
  CHECK(n_passed == 46);
}

TEST_CASE("gguf-spm decodes byte tokens, spaces and control tokens", "[tokenizer][gguf]") {
  KICK_REQUIRE_FIXTURE(path, k_vocab);
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  const kick::tokenizer& t = **tok;
  // Emoji with no piece of their own fall back to byte tokens and decode back to the bytes.
  const std::string text = "Hello \xF0\x9F\xA6\x99 world\n\tend";
  const auto ids = t.encode(text, true);
  REQUIRE(ids.has_value());
  bool has_byte_token = false;
  for (const auto id : *ids) has_byte_token = has_byte_token || t.piece(id).starts_with("<0x");
  CHECK(has_byte_token);
  std::vector<std::int32_t> with_eos = *ids;
  with_eos.push_back(t.eos());
  CHECK(t.decode(with_eos) == text);
  // Ids outside the vocabulary produce nothing.
  std::vector<std::int32_t> with_junk = *ids;
  with_junk.insert(with_junk.begin() + 1, {-5, 32000, 1 << 30});
  CHECK(t.decode(with_junk) == text);
  CHECK(t.decode({}).empty());
}

TEST_CASE("gguf-spm encodes a megabyte of text in well under a second", "[tokenizer][gguf][perf]") {
  KICK_REQUIRE_FIXTURE(path, k_vocab);
  KICK_REQUIRE_FIXTURE(inp, "tokenizer/ggml-vocab-llama-spm.gguf.inp");
  KICK_REQUIRE_FIXTURE(prose, "stories260K/README.md");
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  // English prose and the vectors' emoji, scripts and whitespace runs.
  const std::string sample = kick::test::read_file(prose) + kick::test::read_file(inp);
  std::string text;
  while (text.size() < (std::size_t{1} << 20)) text += sample;
  const auto start = std::chrono::steady_clock::now();
  const auto ids = (*tok)->encode(text, true);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(ids.has_value());
  INFO("encoded " << text.size() << " bytes into " << ids->size() << " tokens in " << seconds << " s");
  CHECK(ids->size() > text.size() / 8);
  CHECK(seconds < 1.0);
  // The sample is valid UTF-8 that does not start with a space, so it survives the round trip.
  CHECK((*tok)->decode(*ids) == text);
}

TEST_CASE("gguf-spm encodes invalid UTF-8 as llama.cpp does: the raw bytes", "[tokenizer][gguf]") {
  KICK_REQUIRE_FIXTURE(path, k_vocab);
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  // 0xC3 announces a 2-byte character, so "\xC3(" is one symbol with no piece: two byte tokens.
  const std::string text = "\xC3(";
  const auto ids = (*tok)->encode(text, false);
  REQUIRE(ids.has_value());
  std::vector<std::string> pieces;
  for (const auto id : *ids) pieces.push_back((*tok)->piece(id));
  CHECK(pieces == std::vector<std::string>{"\xE2\x96\x81", "<0xC3>", "<0x28>"});
  CHECK((*tok)->decode(*ids) == text);
}
