// Drawing calibration sequences: windows (SparseGPT/GPTQ/Wanda) and blocks (AWQ).
#include <catch2/catch.hpp>

#include <fstream>

#include "core/calibrate/calibration_data.h"
#include "core/tokenizer/tokenizer.h"
#include "support/test_support.h"
#include "support/tiny_files.h"

namespace {

std::unique_ptr<kick::tokenizer> tiny_tokenizer(const std::filesystem::path& dir) {
  kick::test::write_tiny_tokenizer(dir / "tokenizer.bin", 272);
  auto tok = kick::load_tokenizer(dir / "tokenizer.bin");
  REQUIRE(tok.has_value());
  return std::move(*tok);
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("windows are seqlen tokens cut from documents longer than seqlen, reproducibly", "[calibrate]") {
  const auto dir = kick::test::scratch_dir("calibration-windows");
  const auto tok = tiny_tokenizer(dir);
  const std::vector<std::string> docs = {"short", std::string(300, 'a') + std::string(300, 'b'), "tiny"};
  auto a = kick::sample_windows(docs, *tok, 16, 40, 1, "docs");
  auto b = kick::sample_windows(docs, *tok, 16, 40, 1, "docs");
  auto c = kick::sample_windows(docs, *tok, 16, 40, 2, "docs");
  REQUIRE(a.has_value());
  REQUIRE(c.has_value());
  REQUIRE(a->size() == 16);
  for (const auto& w : *a) CHECK(w.size() == 40);
  CHECK(*a == *b);
  CHECK(*a != *c);
  // Every window is a contiguous slice of the only long document.
  const auto long_ids = tok->encode(docs[1], true);
  REQUIRE(long_ids.has_value());
  for (const auto& w : *a) CHECK(std::search(long_ids->begin(), long_ids->end(), w.begin(), w.end()) != long_ids->end());
}

TEST_CASE("windows fail clearly when no document is long enough", "[calibrate]") {
  const auto dir = kick::test::scratch_dir("calibration-short");
  const auto tok = tiny_tokenizer(dir);
  auto r = kick::sample_windows({"abc", "de"}, *tok, 4, 64, 0, "short.txt");
  REQUIRE_FALSE(r.has_value());
  CHECK_THAT(r.error().message(), Catch::Contains("short.txt") && Catch::Contains("seqlen 64"));
}

TEST_CASE("blocks concatenate short documents and cut whole blocks", "[calibrate]") {
  const auto dir = kick::test::scratch_dir("calibration-blocks");
  const auto tok = tiny_tokenizer(dir);
  std::vector<std::string> docs;
  for (int i = 0; i < 10; ++i) docs.push_back(std::string(static_cast<std::size_t>(5 + i), static_cast<char>('a' + i)));
  docs.push_back(std::string(100, 'z'));  // longer than seqlen: skipped
  auto blocks = kick::sample_blocks(docs, *tok, 128, 16, 42, "docs");
  REQUIRE(blocks.has_value());
  std::size_t total = 0;
  for (const auto& d : docs)
    if (d.size() < 16) total += tok->encode(d, true)->size();
  CHECK(blocks->size() == total / 16);
  for (const auto& b : *blocks) CHECK(b.size() == 16);
  // nsamples limits the documents taken.
  auto few = kick::sample_blocks(docs, *tok, 2, 8, 42, "docs");
  REQUIRE(few.has_value());
  CHECK(few->size() <= 4);
}

TEST_CASE("calibration files: plain text, JSONL, and malformed JSONL naming the line", "[calibrate]") {
  const auto dir = kick::test::scratch_dir("calibration-files");
  write(dir / "a.txt", "line one\n\nline two\nstill two\n");
  write(dir / "b.jsonl", "{\"text\": \"doc one\"}\n{\"text\": \"doc two\"}\n");
  write(dir / "bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": 3}\n");
  auto whole = kick::read_calibration_documents(dir / "a.txt", false);
  auto lines = kick::read_calibration_documents(dir / "a.txt", true);
  auto jsonl = kick::read_calibration_documents(dir / "b.jsonl", false);
  REQUIRE(whole.has_value());
  REQUIRE(lines.has_value());
  REQUIRE(jsonl.has_value());
  CHECK(whole->size() == 1);
  REQUIRE(lines->size() == 2);
  CHECK((*lines)[1] == "line two\nstill two");
  CHECK(*jsonl == std::vector<std::string>{"doc one", "doc two"});
  auto bad = kick::read_calibration_documents(dir / "bad.jsonl", false);
  REQUIRE_FALSE(bad.has_value());
  CHECK_THAT(bad.error().message(), Catch::Contains("bad.jsonl") && Catch::Contains("line 2"));
  auto missing = kick::read_calibration_documents(dir / "none.txt", false);
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message(), Catch::Contains("none.txt"));
}
