// load_tokenizer on missing, truncated, corrupted and unrecognised files: clear errors that name
// the file, never a crash.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/tokenizer/tokenizer.h"
#include "support/test_support.h"

namespace {

// Loads `bytes` written to `path`; returns the error message, or "" when it loaded.
std::string load_error(const std::filesystem::path& path, const std::string& bytes) {
  kick::test::write_file(path, bytes);
  const auto tok = kick::load_tokenizer(path);
  if (tok) return {};
  CHECK(tok.error().code() != kick::status_code::ok);
  CHECK(tok.error().message().find('\n') == std::string::npos);
  return tok.error().message();
}

void put_i32(std::string& bytes, std::size_t at, std::int32_t v) { std::memcpy(bytes.data() + at, &v, 4); }
void put_f32(std::string& bytes, std::size_t at, float v) { std::memcpy(bytes.data() + at, &v, 4); }

// The offset of the first element of the GGUF array stored under `key` (the key string, then
// u32 value type, u32 element type, u64 count).
std::size_t gguf_array_data(const std::string& bytes, const std::string& key) {
  const std::size_t at = bytes.find(key);
  REQUIRE(at != std::string::npos);
  return at + key.size() + 16;
}

}  // namespace

TEST_CASE("load_tokenizer reports a missing file as not_found naming it", "[tokenizer][errors]") {
  const auto path = kick::test::scratch_dir("tokenizer_missing") / "nope.model";
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(!tok.has_value());
  CHECK(tok.error().code() == kick::status_code::not_found);
  CHECK(tok.error().message().find(path.string()) != std::string::npos);
}

TEST_CASE("load_tokenizer rejects empty and unrecognised files", "[tokenizer][errors]") {
  const auto dir = kick::test::scratch_dir("tokenizer_unrecognised");
  const std::string empty = load_error(dir / "empty.bin", "");
  CHECK(empty.find("empty.bin") != std::string::npos);
  const std::string text = load_error(dir / "notes.txt", "this is not a tokenizer at all, just words\n");
  CHECK(text.find("notes.txt") != std::string::npos);
  CHECK(text.find("unrecognised tokenizer format") != std::string::npos);
  CHECK(load_error(dir, "").find("directory") != std::string::npos);
}

TEST_CASE("llama2c: truncated or corrupted tok512.bin gives errors naming the file", "[tokenizer][errors][llama2c]") {
  KICK_REQUIRE_FIXTURE(source, "stories260K/tok512.bin");
  const std::string bytes = kick::test::read_file(source);
  const auto dir = kick::test::scratch_dir("tokenizer_llama2c_corrupt");
  const auto path = dir / "tok512.bin";
  // Cuts inside the header, inside a record's score/length, inside a piece, and near the end.
  for (const std::size_t size : {std::size_t{2}, std::size_t{4}, std::size_t{9}, std::size_t{4 + 8 + 3},
                                 bytes.size() / 2 + 1, bytes.size() - 1}) {
    INFO("truncated to " << size << " of " << bytes.size() << " bytes");
    const std::string error = load_error(path, bytes.substr(0, size));
    CHECK(error.find(path.string()) != std::string::npos);
  }
  // A cut exactly between records cannot be told from a smaller vocabulary: it loads, short.
  {
    std::size_t at = 4;
    for (int token = 0; token < 300; ++token) {
      std::int32_t length = 0;
      std::memcpy(&length, bytes.data() + at + 4, 4);
      at += 8 + static_cast<std::size_t>(length);
    }
    kick::test::write_file(path, bytes.substr(0, at));
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(tok.has_value());
    CHECK((*tok)->vocab_size() == 300);
  }
  std::string corrupt = bytes;
  put_i32(corrupt, 0, 0);  // max_token_length
  CHECK(load_error(path, corrupt).find("max_token_length") != std::string::npos);
  corrupt = bytes;
  put_i32(corrupt, 4 + 4, 1 << 30);  // token 0's length
  CHECK(load_error(path, corrupt).find("token 0") != std::string::npos);
  corrupt = bytes;
  put_i32(corrupt, 4 + 4, -7);
  CHECK(load_error(path, corrupt).find("length -7") != std::string::npos);
  corrupt = bytes;
  put_f32(corrupt, 4, std::numeric_limits<float>::quiet_NaN());
  CHECK(load_error(path, corrupt).find("nan") != std::string::npos);
}

TEST_CASE("gguf-spm: truncated or corrupted gguf gives errors naming the file", "[tokenizer][errors][gguf]") {
  KICK_REQUIRE_FIXTURE(source, "tokenizer/ggml-vocab-llama-spm.gguf");
  const std::string bytes = kick::test::read_file(source);
  const auto dir = kick::test::scratch_dir("tokenizer_gguf_corrupt");
  const auto path = dir / "vocab.gguf";
  for (const std::size_t size : {std::size_t{4}, std::size_t{6}, std::size_t{30}, std::size_t{1000},
                                 bytes.size() / 2, bytes.size() - 1}) {
    INFO("truncated to " << size << " of " << bytes.size() << " bytes");
    CHECK(load_error(path, bytes.substr(0, size)).find(path.string()) != std::string::npos);
  }
  std::string corrupt = bytes;
  const std::string model_key = "tokenizer.ggml.model";
  const std::size_t model_value = corrupt.find(model_key) + model_key.size() + 4 + 8;
  REQUIRE(corrupt.compare(model_value, 5, "llama") == 0);
  corrupt.replace(model_value, 5, "gpt-2");
  {
    kick::test::write_file(path, corrupt);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().code() == kick::status_code::unimplemented);
    CHECK(tok.error().message().find("gpt-2") != std::string::npos);
    CHECK(tok.error().message().find(path.string()) != std::string::npos);
  }
  corrupt = bytes;
  put_i32(corrupt, gguf_array_data(corrupt, "tokenizer.ggml.token_type") + 3 * 4, 9);
  const std::string bad_type = load_error(path, corrupt);
  CHECK(bad_type.find("tokenizer.ggml.token_type[3]") != std::string::npos);
  CHECK(bad_type.find(path.string()) != std::string::npos);
  corrupt = bytes;
  put_f32(corrupt, gguf_array_data(corrupt, "tokenizer.ggml.scores") + 100 * 4, std::nanf(""));
  CHECK(load_error(path, corrupt).find("tokenizer.ggml.scores[100]") != std::string::npos);
  corrupt = bytes;
  const std::string bos_key = "tokenizer.ggml.bos_token_id";
  put_i32(corrupt, corrupt.find(bos_key) + bos_key.size() + 4, 32000);  // u32 value after its type
  CHECK(load_error(path, corrupt).find(bos_key) != std::string::npos);
}

TEST_CASE("sentencepiece: a truncated .model gives an error naming the file", "[tokenizer][errors][sentencepiece]") {
  KICK_REQUIRE_FIXTURE(source, "tokenizer/llama2-tokenizer.model");
  const std::string bytes = kick::test::read_file(source);
  const auto dir = kick::test::scratch_dir("tokenizer_spm_corrupt");
  const auto path = dir / "tokenizer.model";
  for (const std::size_t size : {std::size_t{1}, std::size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    INFO("truncated to " << size << " of " << bytes.size() << " bytes");
    CHECK(load_error(path, bytes.substr(0, size)).find(path.string()) != std::string::npos);
  }
}
