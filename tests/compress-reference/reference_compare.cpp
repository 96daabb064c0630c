#include "reference_compare.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <optional>

#include "core/model/layout_tensors.h"
#include "core/model/safetensors_file.h"
#include "kick/format_codec.h"
#include "support/test_support.h"

namespace kick::test {

namespace {

// Tensor `name` of `file` copied out as T, when present with that dtype name.
template <class T>
std::optional<std::vector<T>> read_as(const safetensors_file& file, const std::string& name, const std::string& dtype_name) {
  const safetensors_tensor* t = file.find(name);
  if (t == nullptr || t->dtype_name != dtype_name || t->size_bytes % sizeof(T) != 0) return std::nullopt;
  std::vector<T> out(t->size_bytes / sizeof(T));
  std::memcpy(out.data(), t->data, t->size_bytes);
  return out;
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b, const std::vector<bool>* use) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (use != nullptr && !(*use)[i]) continue;
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    diff += d * d;
    norm += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// The grid index of every entry of a quantized layout, row-major; empty for other layouts.
std::vector<std::int32_t> layout_codes(const compressed_weight& w) {
  std::vector<std::int32_t> codes;
  const std::int64_t n = w.n_rows * w.n_cols;
  if (const auto* q = std::get_if<group_quant_layout>(&w.layout)) {
    codes.resize(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < w.n_rows; ++r)
      for (std::int64_t c = 0; c < w.n_cols; ++c) codes[static_cast<std::size_t>(r * w.n_cols + c)] = static_cast<std::int32_t>(quant_code(*q, r, c));
  } else if (const auto* f = std::get_if<nf4_layout>(&w.layout)) {
    codes.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) codes[static_cast<std::size_t>(i)] = nf4_code_at(*f, i);
  } else if (const auto* e = std::get_if<int8_outlier_layout>(&w.layout)) {
    codes.assign(e->q.begin(), e->q.end());
  }
  return codes;
}

}  // namespace

std::filesystem::path reference_dir() { return source_dir() / "tests" / "data" / "compress-ref"; }

std::vector<reference_config> load_reference_configs() {
  const auto index = nlohmann::json::parse(read_file(reference_dir() / "cases.json"));
  std::vector<reference_config> out;
  for (const auto& c : index.at("cases")) {
    const std::filesystem::path dir = reference_dir() / c.at("name").get<std::string>();
    for (const auto& k : c.at("configs")) {
      reference_config r;
      r.case_name = c.at("name").get<std::string>();
      r.config = k.at("config").get<std::string>();
      r.method = k.at("method").get<std::string>();
      for (const auto& [key, value] : k.at("set").items()) r.sets.emplace_back(key, value.get<std::string>());
      r.file = dir / k.at("file").get<std::string>();
      r.weight = dir / "weight.safetensors";
      r.inputs = dir / "inputs.safetensors";
      r.mask_budget = k.at("budget").at("mask").get<double>();
      r.code_budget = k.at("budget").at("codes").get<double>();
      out.push_back(std::move(r));
    }
  }
  return out;
}

comparison compare_with_reference(const std::filesystem::path& reference_file, const std::filesystem::path& output_file,
                                  const std::string& layer_name) {
  comparison c;
  auto ref = safetensors_file::open(reference_file);
  auto out = safetensors_file::open(output_file);
  if (!ref || !out) {
    c.problem = !ref ? ref.error().message() : out.error().message();
    return c;
  }
  const auto ref_weight = read_as<float>(*ref, "weight", "F32");
  const auto out_weight = read_as<float>(*out, "weight", "F32");
  if (!ref_weight || !out_weight || ref_weight->size() != out_weight->size()) {
    c.problem = "the outputs' 'weight' tensors are missing or differ in size";
    return c;
  }
  const std::vector<float>& a = *out_weight;
  const std::vector<float>& b = *ref_weight;
  c.n_entries = static_cast<std::int64_t>(b.size());
  std::vector<bool> agree(b.size(), true);

  // The plugin's layout, rebuilt from the output's tensors and descriptor.
  std::optional<compressed_weight> layout;
  c.format = "dense";
  const auto& metadata = out->metadata();
  if (const auto it = metadata.find(k_layouts_metadata_key); it != metadata.end()) {
    const auto descriptors = nlohmann::json::parse(it->second);
    const tensor_finder finder = [&](const std::string& name) { return found_tensor{out->find(name), output_file.string()}; };
    auto rebuilt = layout_from_tensors(finder, layer_name, descriptors.at(layer_name), output_file.string());
    if (!rebuilt) {
      c.problem = rebuilt.error().message();
      return c;
    }
    c.format = layout_name(rebuilt->layout);
    layout = std::move(*rebuilt);
  }

  if (const auto mask = read_as<std::uint8_t>(*ref, "mask", "U8"); mask && mask->size() == b.size()) {
    c.mask_compared = c.n_entries;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if ((a[i] == 0.0f) != ((*mask)[i] != 0)) {
        ++c.mask_mismatches;
        agree[i] = false;
      }
    }
  }

  std::vector<std::int32_t> ref_codes;
  if (const auto u8 = read_as<std::uint8_t>(*ref, "codes", "U8")) ref_codes.assign(u8->begin(), u8->end());
  if (const auto i8 = read_as<std::int8_t>(*ref, "codes", "I8")) ref_codes.assign(i8->begin(), i8->end());
  const std::vector<std::int32_t> out_codes = layout ? layout_codes(*layout) : std::vector<std::int32_t>{};
  if (!ref_codes.empty() && ref_codes.size() == b.size() && out_codes.size() == b.size()) {
    // AWQ: groups whose codes the reference itself cannot pin down under 1e-5 input noise.
    std::vector<bool> excluded(b.size(), false);
    const safetensors_tensor* fragile = ref->find("fragile_groups");
    const auto fragile_values = read_as<std::uint8_t>(*ref, "fragile_groups", "U8");
    if (fragile != nullptr && fragile_values && fragile->shape.size() == 2 && layout) {
      const std::int64_t n_cols = layout->n_cols, n_groups = fragile->shape[1];
      const std::int64_t group_size = n_groups > 0 ? n_cols / n_groups : n_cols;
      for (std::int64_t i = 0; i < c.n_entries; ++i) {
        const std::int64_t r = i / n_cols, g = (i % n_cols) / group_size;
        const auto at = static_cast<std::size_t>(r * n_groups + g);
        if (at < fragile_values->size() && (*fragile_values)[at] != 0) excluded[static_cast<std::size_t>(i)] = true;
      }
    }
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (excluded[i]) {
        ++c.codes_excluded;
        agree[i] = false;
        continue;
      }
      ++c.codes_compared;
      if (ref_codes[i] != out_codes[i]) {
        ++c.code_mismatches;
        agree[i] = false;
      }
    }
  }

  if (const auto s_ref = read_as<float>(*ref, "input_scale", "F32"); s_ref && layout) {
    if (const auto* q = std::get_if<group_quant_layout>(&layout->layout); q && q->input_scale.size() == s_ref->size())
      c.input_scale_relerr = relative_error(q->input_scale, *s_ref, nullptr);
  }
  c.relerr_all = relative_error(a, b, nullptr);
  c.relerr_agreeing = relative_error(a, b, &agree);
  return c;
}

}  // namespace kick::test
