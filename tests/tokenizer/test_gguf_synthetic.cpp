// gguf-spm on small synthetic GGUF vocabularies (no fixtures needed): SentencePiece's rules for
// unused and user-defined pieces, add_space_prefix, byte fallback and metadata errors.
#include <catch2/catch.hpp>

#include "core/tokenizer/tokenizer.h"
#include "model-files/gguf_writer.h"
#include "support/test_support.h"

namespace {

constexpr std::int32_t k_normal = 1, k_unknown = 2, k_control = 3, k_user_defined = 4, k_unused = 5, k_byte = 6;
const std::string k_space = "\xE2\x96\x81";

struct vocab_entry {
  std::string piece;
  float score;
  std::int32_t type;
};

// <unk>, <s>, </s>, the 256 byte tokens, then `extra`, as tokenizer.ggml.* metadata.
kick::test::gguf_writer synthetic_gguf(const std::vector<vocab_entry>& extra, const std::string& model = "llama") {
  std::vector<vocab_entry> entries = {{"<unk>", 0, k_unknown}, {"<s>", 0, k_control}, {"</s>", 0, k_control}};
  for (int b = 0; b < 256; ++b) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    entries.push_back({std::string("<0x") + k_hex[b >> 4] + k_hex[b & 15] + ">", 0, k_byte});
  }
  entries.insert(entries.end(), extra.begin(), extra.end());
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<std::int32_t> types;
  for (const auto& e : entries) {
    pieces.push_back(e.piece);
    scores.push_back(e.score);
    types.push_back(e.type);
  }
  kick::test::gguf_writer w;
  w.add_string("general.architecture", "llama");
  w.add_string("tokenizer.ggml.model", model);
  w.add_string_array("tokenizer.ggml.tokens", pieces);
  w.add_f32_array("tokenizer.ggml.scores", scores);
  w.add_i32_array("tokenizer.ggml.token_type", types);
  return w;
}

std::vector<std::string> pieces_of(const kick::tokenizer& tok, std::string_view text) {
  const auto ids = tok.encode(text, false);
  REQUIRE(ids.has_value());
  std::vector<std::string> pieces;
  for (const auto id : *ids) pieces.push_back(tok.piece(id));
  return pieces;
}

using pieces = std::vector<std::string>;

}  // namespace

TEST_CASE("gguf-spm splits merged unused pieces back and never merges into user-defined ones",
          "[tokenizer][gguf]") {
  const auto path = kick::test::scratch_dir("gguf_spm_synthetic") / "vocab.gguf";
  auto w = synthetic_gguf({{k_space, -5, k_normal},
                           {"a", -5, k_normal},
                           {"b", -5, k_normal},
                           {"c", -5, k_normal},
                           {"x", -5, k_normal},
                           {"ab", -2, k_normal},
                           {"abc", 0, k_unused},     // merges, then splits back into "ab" "c"
                           {"<sep>", -9, k_user_defined},
                           {"x<", 0, k_normal},      // loses to the user-defined "<sep>"
                           {k_space + "x", -1, k_normal}});
  w.add_bool("tokenizer.ggml.add_space_prefix", false);
  w.write(path);
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  const kick::tokenizer& t = **tok;
  CHECK(t.kind() == "gguf-spm");
  CHECK(t.vocab_size() == 3 + 256 + 10);
  CHECK(pieces_of(t, "abc") == pieces{"ab", "c"});
  CHECK(pieces_of(t, "x<sep>a") == pieces{"x", "<sep>", "a"});
  // No dummy prefix with add_space_prefix false; spaces still become U+2581.
  CHECK(pieces_of(t, "ab x") == pieces{"ab", k_space + "x"});
  // Characters without a piece fall back to their bytes.
  CHECK(pieces_of(t, "a\xC3\xA9") == pieces{"a", "<0xC3>", "<0xA9>"});
  CHECK(t.decode(*t.encode("ab x\xC3\xA9<sep>", true)) == "ab x\xC3\xA9<sep>");
}

TEST_CASE("gguf-spm prepends the dummy prefix by default and uses the bos/eos keys", "[tokenizer][gguf]") {
  const auto path = kick::test::scratch_dir("gguf_spm_prefix") / "vocab.gguf";
  auto w = synthetic_gguf({{k_space, -5, k_normal}, {"a", -5, k_normal}, {k_space + "a", -1, k_normal}});
  w.add_u32("tokenizer.ggml.bos_token_id", 2);
  w.add_u32("tokenizer.ggml.eos_token_id", 1);
  w.write(path);
  const auto tok = kick::load_tokenizer(path);
  REQUIRE(tok.has_value());
  CHECK((*tok)->bos() == 2);
  CHECK((*tok)->eos() == 1);
  CHECK(pieces_of(**tok, "a a") == pieces{k_space + "a", k_space + "a"});
  CHECK((*tok)->encode("a", true)->front() == 2);
  CHECK((*tok)->decode(*(*tok)->encode("a a", true)) == "a a");
}

TEST_CASE("gguf-spm rejects unsupported or inconsistent tokenizer metadata", "[tokenizer][gguf][errors]") {
  const auto dir = kick::test::scratch_dir("gguf_spm_bad_metadata");
  {
    const auto path = dir / "bpe.gguf";
    synthetic_gguf({}, "gpt2").write(path);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().code() == kick::status_code::unimplemented);
    CHECK(tok.error().message().find("'gpt2'") != std::string::npos);
    CHECK(tok.error().message().find(path.string()) != std::string::npos);
  }
  {
    const auto path = dir / "no_tokenizer.gguf";
    kick::test::gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.write(path);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().message().find("tokenizer.ggml.model") != std::string::npos);
  }
  {
    const auto path = dir / "short_scores.gguf";
    kick::test::gguf_writer v;
    v.add_string("tokenizer.ggml.model", "llama");
    v.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
    v.add_f32_array("tokenizer.ggml.scores", {0.0f, 0.0f});
    v.write(path);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().message().find("tokenizer.ggml.scores") != std::string::npos);
  }
  {
    const auto path = dir / "bad_byte.gguf";
    kick::test::gguf_writer v;
    v.add_string("tokenizer.ggml.model", "llama");
    v.add_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "<0xZZ>"});
    v.add_i32_array("tokenizer.ggml.token_type", {k_unknown, k_control, k_control, k_byte});
    v.write(path);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().message().find("<0xZZ>") != std::string::npos);
  }
  {
    const auto path = dir / "bad_eos.gguf";
    auto w = synthetic_gguf({});
    w.add_i32("tokenizer.ggml.eos_token_id", 100000);
    w.write(path);
    const auto tok = kick::load_tokenizer(path);
    REQUIRE(!tok.has_value());
    CHECK(tok.error().code() == kick::status_code::out_of_range);
    CHECK(tok.error().message().find("tokenizer.ggml.eos_token_id") != std::string::npos);
  }
}
