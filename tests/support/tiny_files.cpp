#include "support/tiny_files.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace kick::test {

namespace {
template <class T>
void put(std::ofstream& out, T value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}
}  // namespace

void write_tiny_llama2c(const std::filesystem::path& file, const tiny_model_shape& s, std::uint64_t seed) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (std::int32_t v : {s.dim, s.hidden_dim, s.n_layers, s.n_heads, s.n_kv_heads, s.vocab_size, s.seq_len}) put(out, v);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> weight(-0.2f, 0.2f);
  const std::int64_t head_dim = s.dim / s.n_heads;
  const std::int64_t kv_dim = head_dim * s.n_kv_heads;
  const auto random_floats = [&](std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) put(out, weight(rng));
  };
  const auto ones = [&](std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) put(out, 1.0f);
  };
  const std::int64_t L = s.n_layers;
  random_floats(std::int64_t{s.vocab_size} * s.dim);  // token embedding
  ones(L * s.dim);                                      // rms_att
  random_floats(L * s.dim * s.dim);                     // wq
  random_floats(L * kv_dim * s.dim);                    // wk
  random_floats(L * kv_dim * s.dim);                    // wv
  random_floats(L * s.dim * s.dim);                     // wo
  ones(L * s.dim);                                      // rms_ffn
  random_floats(L * s.hidden_dim * s.dim);              // w1
  random_floats(L * s.dim * s.hidden_dim);              // w2
  random_floats(L * s.hidden_dim * s.dim);              // w3
  ones(s.dim);                                          // rms_final
  for (int table = 0; table < 2; ++table) {             // legacy freq_cis_real / imag
    for (std::int64_t i = 0; i < std::int64_t{s.seq_len} * head_dim / 2; ++i) put(out, 0.0f);
  }
}

void write_tiny_tokenizer(const std::filesystem::path& file, std::int32_t vocab_size) {
  std::vector<std::string> pieces = {"<unk>", "\n<s>\n", "\n</s>\n"};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    pieces.emplace_back(buf);
  }
  for (const char* p : {" ", "e", "t", "a", "o", " t", "th", "he"}) pieces.emplace_back(p);
  while (static_cast<std::int32_t>(pieces.size()) < vocab_size) pieces.push_back("<unused" + std::to_string(pieces.size()) + ">");
  pieces.resize(static_cast<std::size_t>(vocab_size));
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::int32_t max_length = 0;
  for (const auto& p : pieces) max_length = std::max<std::int32_t>(max_length, static_cast<std::int32_t>(p.size()));
  put(out, max_length);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    // Merged pieces score higher the shorter they are built from; bytes and specials score 0.
    const float score = i >= 259 ? -static_cast<float>(i - 259) : 0.0f;
    put(out, score);
    put(out, static_cast<std::int32_t>(pieces[i].size()));
    out.write(pieces[i].data(), static_cast<std::streamsize>(pieces[i].size()));
  }
}

std::string write_tiny_run_files(const std::filesystem::path& dir, const tiny_model_shape& shape, std::uint64_t seed) {
  write_tiny_llama2c(dir / "model.bin", shape, seed);
  write_tiny_tokenizer(dir / "tokenizer.bin", shape.vocab_size);
  return "[model]\npath = \"model.bin\"\ntokenizer = \"tokenizer.bin\"\n[backend]\nname = \"cpu\"\nthreads = 1\n";
}

}  // namespace kick::test
