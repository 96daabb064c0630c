// Compressed layouts as safetensors tensors: every layout survives write -> read bit-identically,
// the file is well-formed (aligned, no holes), and malformed tensors are refused by name.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/layout_tensors.h"
#include "core/model/safetensors_file.h"
#include "core/model/safetensors_writer.h"
#include "export/layouts_support.h"
#include "kick/format_codec.h"
#include "support/test_support.h"

namespace {

using kick::compressed_weight;
using nlohmann::json;

const char* const k_variants[] = {"nm-2:4", "nm-1:2", "bitmap", "quant-2", "quant-3-act-order", "quant-4", "quant-8",
                                  "nf4", "nf4-double", "int8", "int8-no-outliers", "nm-2:4-f16", "bitmap-bf16"};

// Writes one layer P = "layer.<i>" per variant with its descriptors in __metadata__.
std::filesystem::path write_layers(const std::filesystem::path& file, const std::vector<compressed_weight>& weights) {
  std::vector<kick::safetensors_out_tensor> tensors;
  json layouts = json::object();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::string prefix = "layer." + std::to_string(i);
    auto t = kick::layout_tensors(weights[i], prefix);
    REQUIRE(t);
    for (auto& x : *t) tensors.push_back(std::move(x));
    layouts[prefix] = kick::layout_descriptor(weights[i]);
  }
  REQUIRE(kick::write_safetensors(file, tensors, {{kick::k_layouts_metadata_key, layouts.dump()}}).ok());
  return file;
}

kick::result<compressed_weight> read_layer(const kick::safetensors_file& f, const std::string& prefix) {
  const json layouts = json::parse(f.metadata().at(kick::k_layouts_metadata_key));
  const kick::tensor_finder find = [&](const std::string& name) {
    return kick::found_tensor{f.find(name), f.path().string()};
  };
  return kick::layout_from_tensors(find, prefix, layouts.at(prefix), f.path().string());
}

}  // namespace

TEST_CASE("every layout survives safetensors write and read bit-identically", "[export]") {
  const auto dir = kick::test::scratch_dir("export-layouts");
  std::vector<compressed_weight> weights;
  for (std::size_t i = 0; i < std::size(k_variants); ++i) weights.push_back(kick::test::random_layout(k_variants[i], 100 + i));
  const auto file = write_layers(dir / "layers.safetensors", weights);
  auto f = kick::safetensors_file::open(file);
  REQUIRE(f);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    INFO(k_variants[i]);
    auto back = read_layer(*f, "layer." + std::to_string(i));
    REQUIRE(back);
    CHECK(kick::test::same_weight(weights[i], *back));
    CHECK(std::string(kick::layout_name(back->layout)) == kick::layout_name(weights[i].layout));
    // Decoding agrees row by row.
    std::vector<float> want(static_cast<std::size_t>(weights[i].n_cols)), got(want.size());
    for (std::int64_t r = 0; r < weights[i].n_rows; ++r) {
      kick::densify_row(weights[i], r, want.data());
      kick::densify_row(*back, r, got.data());
      CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
    }
  }
  // Optional quant tensors are written only when present.
  CHECK(f->find("layer.4.g_idx") != nullptr);
  CHECK(f->find("layer.4.input_scale") != nullptr);
  CHECK(f->find("layer.5.g_idx") == nullptr);
  CHECK(f->find("layer.8.absmax2") != nullptr);
  CHECK(f->find("layer.7.absmax2") == nullptr);
  CHECK(f->find("layer.0.nm_indices")->dtype_name == "U8");
  CHECK(f->find("layer.0.nm_indices")->shape == std::vector<std::int64_t>{5, 2});  // 8 kept values x 2 bits per row
  CHECK(f->find("layer.0.nm_values")->dtype_name == "F32");
  CHECK(f->find("layer.11.nm_values")->dtype_name == "F16");  // sparse values keep their precision
  CHECK(f->find("layer.12.values")->dtype_name == "BF16");
  CHECK(f->find("layer.2.bitmap")->dtype_name == "U64");
  CHECK(f->find("layer.5.qweight")->shape == std::vector<std::int64_t>{4, 12});  // 96 columns x 4 bits / 32
  CHECK(f->find("layer.9.q")->dtype_name == "I8");
}

TEST_CASE("the safetensors writer lays tensors out aligned and without holes", "[export]") {
  const auto dir = kick::test::scratch_dir("export-writer");
  const std::vector<std::uint8_t> bytes = {1, 2, 3};
  const std::vector<std::uint64_t> words = {7, 8};
  const std::vector<float> floats = {0.5f, -1.0f, 2.0f};
  const std::vector<std::int16_t> shorts = {-3};
  std::vector<kick::safetensors_out_tensor> tensors = {
      kick::make_out_tensor("a.bytes", "U8", {3}, bytes), kick::make_out_tensor("b.floats", "F32", {3, 1}, floats),
      kick::make_out_tensor("c.words", "U64", {2}, words), kick::make_out_tensor("d.shorts", "I16", {1}, shorts)};
  const auto file = dir / "t.safetensors";
  REQUIRE(kick::write_safetensors(file, tensors, {{"format", "pt"}, {"note", "x"}}).ok());
  CHECK(!std::filesystem::exists(dir / "t.safetensors.tmp"));
  const std::string raw = kick::test::read_file(file);
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, raw.data(), 8);
  CHECK((8 + header_size) % 8 == 0);
  const json header = json::parse(raw.substr(8, header_size));
  CHECK(header["__metadata__"]["note"] == "x");
  // Sorted by offset, every tensor starts where the previous one ended, aligned to its element size.
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> spans;  // begin, end, element size
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    spans.emplace_back(entry["data_offsets"][0].get<std::uint64_t>(), entry["data_offsets"][1].get<std::uint64_t>(),
                       kick::safetensors_dtype_size(entry["dtype"].get<std::string>()));
  }
  std::sort(spans.begin(), spans.end());
  std::uint64_t at = 0;
  for (const auto& [begin, end, size] : spans) {
    CHECK(begin == at);
    CHECK((8 + header_size + begin) % size == 0);
    at = end;
  }
  CHECK(8 + header_size + at == raw.size());
  auto f = kick::safetensors_file::open(file);
  REQUIRE(f);
  CHECK(f->metadata().at("format") == "pt");
  const auto* w = f->find("c.words");
  REQUIRE(w != nullptr);
  std::uint64_t second = 0;
  std::memcpy(&second, w->data + 8, 8);
  CHECK(second == 8);

  SECTION("bad tensors are refused before anything is written") {
    std::vector<kick::safetensors_out_tensor> dup = {tensors[0], tensors[0]};
    auto s = kick::write_safetensors(dir / "dup.safetensors", dup, {});
    CHECK(!s.ok());
    CHECK_THAT(s.message(), Catch::Contains("a.bytes"));
    std::vector<kick::safetensors_out_tensor> wrong = {kick::make_out_tensor("e", "F32", {2}, floats)};
    s = kick::write_safetensors(dir / "wrong.safetensors", wrong, {});
    CHECK(!s.ok());
    CHECK_THAT(s.message(), Catch::Contains("'e'"));
    CHECK(!std::filesystem::exists(dir / "dup.safetensors"));
    CHECK(!std::filesystem::exists(dir / "wrong.safetensors"));
  }
}

TEST_CASE("a dense layer has no layout tensors", "[export]") {
  compressed_weight w{2, 2, kick::dense_layout{}};
  auto t = kick::layout_tensors(w, "p");
  REQUIRE(!t);
  CHECK_THAT(t.error().message(), Catch::Contains("p.weight"));
}

namespace {

// Rewrites `file`'s layer "layer.0" with `mutate` applied to its tensors and descriptor, then reads it.
kick::result<compressed_weight> read_mutated(const std::filesystem::path& dir, const compressed_weight& w,
                                             const std::function<void(std::vector<kick::safetensors_out_tensor>&, json&)>& mutate) {
  auto tensors = kick::layout_tensors(w, "layer.0");
  REQUIRE(tensors);
  json layouts = {{"layer.0", kick::layout_descriptor(w)}};
  mutate(*tensors, layouts["layer.0"]);
  const auto file = dir / "bad.safetensors";
  REQUIRE(kick::write_safetensors(file, *tensors, {{kick::k_layouts_metadata_key, layouts.dump()}}).ok());
  auto f = kick::safetensors_file::open(file);
  REQUIRE(f);
  return read_layer(*f, "layer.0");
}

kick::safetensors_out_tensor& named(std::vector<kick::safetensors_out_tensor>& tensors, const std::string& name) {
  for (auto& t : tensors)
    if (t.name == name) return t;
  FAIL("no tensor " << name);
  throw;
}

}  // namespace

TEST_CASE("malformed layout tensors are refused naming the file and tensor", "[export]") {
  const auto dir = kick::test::scratch_dir("export-malformed-layouts");
  const std::string file = (dir / "bad.safetensors").string();
  struct bad_case {
    const char* variant;
    std::function<void(std::vector<kick::safetensors_out_tensor>&, json&)> mutate;
    std::vector<std::string> expected;  // substrings of the message
  };
  const std::vector<bad_case> cases = {
      {"quant-4", [](auto& t, json&) { std::erase_if(t, [](const auto& x) { return x.name == "layer.0.qweight"; }); },
       {"'layer.0.qweight'", "missing"}},
      {"nm-2:4", [](auto& t, json&) { named(t, "layer.0.nm_indices").dtype_name = "I8"; }, {"'layer.0.nm_indices'", "dtype I8", "U8"}},
      {"quant-4",
       [](auto& t, json&) {
         auto& s = named(t, "layer.0.scales");
         s.shape = {s.shape[0] * s.shape[1]};
       },
       {"'layer.0.scales'", "shape [12]", "[4, 3]"}},
      {"int8",
       [](auto& t, json&) {
         auto& rs = named(t, "layer.0.row_scale");
         rs.dtype_name = "F16";
         rs.shape = {8};
       },
       {"'layer.0.row_scale'", "dtype F16"}},
      {"bitmap", [](auto& t, json&) { named(t, "layer.0.values").shape = {1, named(t, "layer.0.values").shape[0]}; },
       {"'layer.0.values'", "shape"}},
      {"quant-4", [](auto&, json& d) { d.erase("bits"); }, {"layer.0", "'bits'"}},
      {"quant-4", [](auto&, json& d) { d["bits"] = 40; }, {"layer.0", "'bits'", "1..16"}},
      {"nm-2:4", [](auto&, json& d) { d["format"] = "sparse-xyz"; }, {"layer.0", "sparse-xyz"}},
      {"nm-2:4", [](auto&, json& d) { d["shape"] = json::array({5}); }, {"layer.0", "'shape'"}},
      {"nm-2:4",
       [](auto& t, json&) {  // the first group's two 2-bit indices swapped: out of order, check_layout refuses
         auto& idx = named(t, "layer.0.nm_indices");
         idx.owned.assign(idx.data.begin(), idx.data.end());
         const auto b = std::to_integer<unsigned>(idx.owned[0]);
         idx.owned[0] = std::byte{static_cast<unsigned char>((b & 0xf0u) | ((b >> 2) & 3u) | (b & 3u) << 2)};
       },
       {"layer.0", "out of order"}},
      {"nm-2:4",
       [](auto& t, json&) {  // one byte per index, as kick wrote them before plugin API 5
         auto& idx = named(t, "layer.0.nm_indices");
         idx.owned.assign(static_cast<std::size_t>(5 * 8), std::byte{0});
         idx.shape = {5, 8};
       },
       {"'layer.0.nm_indices'", "one byte per index", "compress the model again"}},
      {"nm-2:4", [](auto& t, json&) { named(t, "layer.0.nm_values").dtype_name = "I32"; }, {"'layer.0.nm_values'", "dtype I32", "F16"}},
      {"bitmap",
       [](auto& t, json&) {  // a row offset that disagrees with the bitmap
         auto& off = named(t, "layer.0.row_offsets");
         off.owned.assign(off.data.begin(), off.data.end());
         off.owned[8] ^= std::byte{1};
       },
       {"layer.0", "bits set"}},
  };
  for (const bad_case& c : cases) {
    INFO(c.variant << " expecting " << c.expected.front());
    auto r = read_mutated(dir, kick::test::random_layout(c.variant, 7), c.mutate);
    REQUIRE(!r);
    CHECK_THAT(r.error().message(), Catch::Contains(file));
    for (const std::string& e : c.expected) CHECK_THAT(r.error().message(), Catch::Contains(e));
  }
}
