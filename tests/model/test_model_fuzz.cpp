// Deterministic mutation smoke test: corrupted files of every format must load or fail cleanly
// (never crash, hang or read out of bounds; run under sanitizers to make that strict).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "core/model/model_loader.h"
#include "model-files/model_writers.h"
#include "support/test_support.h"

using namespace kick;

namespace {

// Overwrites 1..4 bytes (biased towards the header, where the structure is) with random values,
// or a u64 field with a huge value, and loads the result.
void mutate_and_load(const std::string& good, std::size_t header_bytes, const std::filesystem::path& path,
                     const std::filesystem::path& load_path, std::uint64_t seed, int n_mutations) {
  std::mt19937_64 rng(seed);
  int n_failed = 0;
  for (int m = 0; m < n_mutations; ++m) {
    std::string bad = good;
    const int n_bytes = 1 + static_cast<int>(rng() % 4);
    for (int b = 0; b < n_bytes; ++b) {
      const std::size_t limit = rng() % 4 == 0 ? bad.size() : std::min(bad.size(), header_bytes);
      const std::size_t at = rng() % limit;
      if (rng() % 8 == 0 && at + 8 <= bad.size()) {
        const std::uint64_t huge = rng() | (std::uint64_t{1} << 62);
        std::memcpy(bad.data() + at, &huge, 8);
      } else {
        bad[at] = static_cast<char>(rng());
      }
    }
    kick::test::write_bytes(path, bad);
    auto loaded = load_model(load_path);
    if (!loaded) {
      ++n_failed;
      CHECK_FALSE(loaded.error().message().empty());
    } else {
      CHECK(validate_model_view(loaded->view).ok());
    }
  }
  // Most mutations of structure must be caught (values in data sections are legitimately anything).
  CHECK(n_failed > 0);
}

}  // namespace

TEST_CASE("mutated gguf, safetensors and llama2.c files never crash the loader", "[loader][fuzz]") {
  const auto dir = kick::test::scratch_dir("fuzz");
  llama_config c = kick::test::tiny_config();
  c.qkv_bias = true;
  const loaded_model source = make_random_model(c, 77, dtype::f32);

  auto w = kick::test::gguf_model_writer(source.view, {.weight_type = dtype::q8_0, .with_vocab = true});
  const std::string gguf = w.serialize();
  mutate_and_load(gguf, w.last_layout().data_start, dir / "m.gguf", dir / "m.gguf", 1, 400);

  kick::test::write_hf_model(source.view, dir / "hf", {.weight_type = dtype::bf16});
  const std::string st = kick::test::read_file(dir / "hf" / "model.safetensors");
  std::uint64_t header = 0;
  std::memcpy(&header, st.data(), 8);
  mutate_and_load(st, 8 + header, dir / "hf" / "model.safetensors", dir / "hf", 2, 300);
  const std::string config = kick::test::read_file(dir / "hf" / "config.json");
  kick::test::write_bytes(dir / "hf" / "model.safetensors", st);
  mutate_and_load(config, config.size(), dir / "hf" / "config.json", dir / "hf", 3, 200);

  c.qkv_bias = false;
  const loaded_model plain = make_random_model(c, 78, dtype::f32);
  kick::test::write_llama2c_model(plain.view, dir / "m.bin");
  mutate_and_load(kick::test::read_file(dir / "m.bin"), 28, dir / "m.bin", dir / "m.bin", 4, 200);
}
