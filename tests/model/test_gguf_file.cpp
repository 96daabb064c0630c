// gguf_file: parsing valid files, typed metadata access, and rejecting malformed ones.
#include <catch2/catch.hpp>
#include <cstring>

#include "core/model/gguf_file.h"
#include "model-files/gguf_writer.h"
#include "support/test_support.h"

using kick::gguf_file;
using kick::status_code;
using kick::test::gguf_writer;

namespace {

std::string f32_bytes(const std::vector<float>& v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

gguf_writer sample_writer() {
  gguf_writer w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  w.add_i32("signed", -7);
  w.add_u64("big", 1ull << 40);
  w.add_f32("eps", 1e-5f);
  w.add_bool("flag", true);
  w.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "hello"});
  w.add_f32_array("tokenizer.ggml.scores", {0.0f, -1.0f, -2.5f, 3.0f});
  w.add_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 1});
  w.add_tensor("a", {3, 2}, 0, f32_bytes({1, 2, 3, 4, 5, 6}));
  w.add_tensor("b", {5}, 0, f32_bytes({7, 8, 9, 10, 11}));
  return w;
}

// Patches a little-endian value at a byte position.
template <class T>
void patch(std::string& bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof v);
}

// Writes `bytes` and expects open() to fail with a message naming the file and `needle`.
void expect_open_error(const std::filesystem::path& path, const std::string& bytes, const std::string& needle) {
  kick::test::write_bytes(path, bytes);
  auto f = gguf_file::open(path);
  REQUIRE_FALSE(f.has_value());
  INFO(f.error().message());
  CHECK(f.error().message().find(path.filename().string()) != std::string::npos);
  CHECK(f.error().message().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("gguf_file parses metadata and tensors of a valid file", "[gguf]") {
  const auto dir = kick::test::scratch_dir("gguf_valid");
  for (std::uint32_t version : {2u, 3u}) {
    const auto path = dir / std::string("v").append(std::to_string(version)).append(".gguf");
    sample_writer().write(path, version);
    auto f = gguf_file::open(path);
    REQUIRE(f.has_value());
    CHECK(f->version() == version);
    CHECK(f->get_string("general.architecture").value() == "llama");
    CHECK(f->get_int("llama.block_count").value() == 2);
    CHECK(f->get_int("signed").value() == -7);
    CHECK(f->get_int("big").value() == (std::int64_t{1} << 40));
    CHECK(f->get_float("eps").value() == Approx(1e-5));
    CHECK(f->get_float("llama.block_count").value() == 2.0);
    CHECK(f->get_int("flag").value() == 1);
    auto tokens = f->get_string_array("tokenizer.ggml.tokens").value();
    REQUIRE(tokens.size() == 4);
    CHECK(tokens[3] == "hello");
    auto scores = f->get_number_array("tokenizer.ggml.scores").value();
    REQUIRE(scores.size() == 4);
    CHECK(scores[2] == -2.5);
    CHECK(f->get_number_array("tokenizer.ggml.token_type").value()[0] == 2.0);

    REQUIRE(f->tensors().size() == 2);
    const auto* a = f->find_tensor("a");
    REQUIRE(a != nullptr);
    CHECK(a->ne == std::vector<std::int64_t>{3, 2});
    CHECK(a->size_bytes == 24);
    float values[6];
    std::memcpy(values, a->data, sizeof values);
    CHECK(values[5] == 6.0f);
    const auto* b = f->find_tensor("b");
    REQUIRE(b != nullptr);
    CHECK(b->offset == 32);  // 24 bytes of 'a', aligned to 32
    CHECK(reinterpret_cast<std::uintptr_t>(b->data) % 32 == 0);
    float b0;
    std::memcpy(&b0, b->data, 4);
    CHECK(b0 == 7.0f);
    CHECK(f->find_tensor("c") == nullptr);
  }
}

TEST_CASE("gguf_file typed access reports missing keys and wrong types", "[gguf]") {
  const auto path = kick::test::scratch_dir("gguf_typed") / "m.gguf";
  sample_writer().write(path);
  auto f = gguf_file::open(path).value();
  auto missing = f.get_int("nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == status_code::not_found);
  CHECK(missing.error().message().find("nope") != std::string::npos);
  auto wrong = f.get_int("general.architecture");
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code() == status_code::invalid_argument);
  CHECK(wrong.error().message().find("string") != std::string::npos);
  CHECK_FALSE(f.get_string("llama.block_count").has_value());
  CHECK_FALSE(f.get_string_array("tokenizer.ggml.scores").has_value());
  CHECK_FALSE(f.get_number_array("tokenizer.ggml.tokens").has_value());
  CHECK_FALSE(f.get_float("tokenizer.ggml.tokens").has_value());
}

TEST_CASE("gguf_file alignment key and unknown tensor types", "[gguf]") {
  const auto dir = kick::test::scratch_dir("gguf_align");
  gguf_writer w;
  w.add_u32("general.alignment", 64);
  w.add_tensor("a", {4}, 0, f32_bytes({1, 2, 3, 4}));
  w.add_tensor("q4k", {256}, 12, std::string(144, '\1'));
  w.add_tensor("future", {8}, 1000, "");
  w.write(dir / "a.gguf", 3, 64);
  auto f = gguf_file::open(dir / "a.gguf");
  REQUIRE(f.has_value());
  CHECK(f->find_tensor("q4k")->offset == 64);
  CHECK(f->find_tensor("q4k")->size_bytes == 144);
  CHECK(f->find_tensor("future")->data == nullptr);

  gguf_writer bad;
  bad.add_u32("general.alignment", 48);
  expect_open_error(dir / "b.gguf", bad.serialize(), "general.alignment");
}

TEST_CASE("gguf_file rejects bad magic, versions and truncation at every point", "[gguf]") {
  const auto dir = kick::test::scratch_dir("gguf_truncated");
  gguf_writer w = sample_writer();
  const std::string good = w.serialize();
  const auto layout = w.last_layout();

  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expect_open_error(dir / "magic.gguf", bad_magic, "magic");
  for (std::uint32_t v : {0u, 1u, 4u, 0x03000000u}) {
    std::string bad = good;
    patch(bad, 4, v);
    expect_open_error(dir / "version.gguf", bad, std::string("version ").append(std::to_string(v)));
  }
  expect_open_error(dir / "empty.gguf", "", "magic");

  // Every cut before the end of the last tensor's bytes must fail cleanly.
  int n_cuts = 0;
  for (std::size_t cut = 1; cut < good.size(); ++cut) {
    const auto path = dir / "cut.gguf";
    kick::test::write_bytes(path, good.substr(0, cut));
    auto f = gguf_file::open(path);
    INFO("cut at " << cut);
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().message().find("cut.gguf") != std::string::npos);
    ++n_cuts;
  }
  CHECK(n_cuts > static_cast<int>(layout.data_start));
}

TEST_CASE("gguf_file rejects lying headers without allocating or looping", "[gguf]") {
  const auto dir = kick::test::scratch_dir("gguf_lying");
  gguf_writer w = sample_writer();
  const std::string good = w.serialize();
  const auto layout = w.last_layout();
  const auto path = dir / "lying.gguf";

  std::string huge_tensors = good;
  patch<std::uint64_t>(huge_tensors, 8, ~std::uint64_t{0});
  expect_open_error(path, huge_tensors, "tensors");
  std::string huge_kv = good;
  patch<std::uint64_t>(huge_kv, 16, std::uint64_t{1} << 62);
  expect_open_error(path, huge_kv, "metadata keys");
  std::string huge_key = good;
  patch<std::uint64_t>(huge_key, layout.kv_start, std::uint64_t{1} << 60);
  expect_open_error(path, huge_key, "string of");
  std::string bad_type = good;
  patch<std::uint32_t>(bad_type, layout.kv_start + 8 + std::strlen("general.architecture"), 99);
  expect_open_error(path, bad_type, "unknown value type 99");

  // Tensor 'a' info: name (8 + 1), n_dims (4), ne (2 x 8), type (4), offset (8).
  const std::size_t a_info = layout.tensor_info_start[0];
  std::string five_dims = good;
  patch<std::uint32_t>(five_dims, a_info + 9, 5);
  expect_open_error(path, five_dims, "'a' has 5 dimensions");
  std::string zero_dim = good;
  patch<std::uint64_t>(zero_dim, a_info + 13, 0);
  expect_open_error(path, zero_dim, "'a'");
  std::string huge_dim = good;
  patch<std::uint64_t>(huge_dim, a_info + 13, std::uint64_t{1} << 50);
  expect_open_error(path, huge_dim, "'a'");
  std::string past_end = good;
  patch<std::uint64_t>(past_end, a_info + 33, 1 << 20);
  expect_open_error(path, past_end, "'a'");
  std::string misaligned = good;
  patch<std::uint64_t>(misaligned, a_info + 33, 4);
  expect_open_error(path, misaligned, "alignment");
  std::string grown = good;  // 'b' claims 6 elements of f32: 24 bytes at 32, past the 52-byte data
  patch<std::uint64_t>(grown, layout.tensor_info_start[1] + 13, 6);
  expect_open_error(path, grown, "'b'");

  gguf_writer nested;
  std::string payload;
  kick::test::append_le<std::uint32_t>(payload, 9);  // array of arrays
  kick::test::append_le<std::uint64_t>(payload, 1);
  nested.add_raw("nested", 9, payload);
  expect_open_error(path, nested.serialize(), "nested");
  gguf_writer huge_array;
  std::string arr;
  kick::test::append_le<std::uint32_t>(arr, 4);  // u32 elements
  kick::test::append_le<std::uint64_t>(arr, std::uint64_t{1} << 61);
  huge_array.add_raw("arr", 9, arr);
  expect_open_error(path, huge_array.serialize(), "'arr'");
  // A real (not lying) array beyond the element cap: refused before widening 16M values.
  gguf_writer big_array;
  std::string u8s;
  kick::test::append_le<std::uint32_t>(u8s, 0);
  kick::test::append_le<std::uint64_t>(u8s, (std::uint64_t{1} << 24) + 1);
  u8s.resize(u8s.size() + (std::size_t{1} << 24) + 1, '\0');
  big_array.add_raw("bytes", 9, u8s);
  expect_open_error(path, big_array.serialize(), "'bytes' has an array of 16777217 elements");
  gguf_writer dup;
  dup.add_u32("k", 1);
  dup.add_u32("k", 2);
  expect_open_error(path, dup.serialize(), "duplicate metadata key 'k'");
}

TEST_CASE("gguf_file parses the vocab-only llama fixture", "[gguf][fixture]") {
  KICK_REQUIRE_FIXTURE(path, "tokenizer/ggml-vocab-llama-spm.gguf");
  auto f = gguf_file::open(path);
  REQUIRE(f.has_value());
  CHECK(f->tensors().empty());
  CHECK(f->get_string("general.architecture").value() == "llama");
  CHECK(f->get_string_array("tokenizer.ggml.tokens").value().size() == 32000);
  CHECK(f->get_number_array("tokenizer.ggml.scores").value().size() == 32000);
}
