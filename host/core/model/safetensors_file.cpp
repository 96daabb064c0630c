#include "core/model/safetensors_file.h"

#include <fmt/format.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace kick {
namespace {

// The safetensors format caps its header at 100 MB.
constexpr std::uint64_t k_max_header_bytes = 100'000'000;

struct dtype_info {
  const char* name;
  std::uint64_t size;
  std::optional<dtype> type;
};

constexpr dtype_info k_dtypes[] = {
    {"F32", 4, dtype::f32},      {"F16", 2, dtype::f16},       {"BF16", 2, dtype::bf16},
    {"F64", 8, std::nullopt},    {"I64", 8, std::nullopt},     {"U64", 8, std::nullopt},
    {"I32", 4, std::nullopt},    {"U32", 4, std::nullopt},     {"I16", 2, std::nullopt},
    {"U16", 2, std::nullopt},    {"I8", 1, std::nullopt},      {"U8", 1, std::nullopt},
    {"BOOL", 1, std::nullopt},   {"F8_E4M3", 1, std::nullopt}, {"F8_E5M2", 1, std::nullopt},
};

const dtype_info* find_dtype(const std::string& name) {
  for (const auto& d : k_dtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

failure bad(const std::string& path, const std::string& what) {
  return fail(status_code::invalid_argument, fmt::format("{}: {}", path, what));
}

// Reads a non-negative JSON integer.
std::optional<std::uint64_t> as_index(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  return std::nullopt;
}

result<safetensors_tensor> parse_entry(const std::string& p, const std::string& name, const nlohmann::json& entry,
                                       const std::byte* data_section, std::uint64_t data_size) {
  if (!entry.is_object()) return bad(p, fmt::format("tensor '{}' header entry is not an object", name));
  safetensors_tensor t;
  const auto dt = entry.find("dtype");
  if (dt == entry.end() || !dt->is_string()) return bad(p, fmt::format("tensor '{}' has no string 'dtype'", name));
  t.dtype_name = dt->get<std::string>();
  const dtype_info* info = find_dtype(t.dtype_name);
  if (info == nullptr) return bad(p, fmt::format("tensor '{}' has unknown dtype '{}'", name, t.dtype_name));
  t.type = info->type;

  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array() || shape->size() > 8) {
    return bad(p, fmt::format("tensor '{}' has no 'shape' array of at most 8 dimensions", name));
  }
  std::uint64_t n_elements = 1;
  for (const auto& d : *shape) {
    const auto dim = as_index(d);
    if (!dim || *dim > (std::uint64_t{1} << 40) || (*dim != 0 && n_elements > (std::uint64_t{1} << 48) / *dim)) {
      return bad(p, fmt::format("tensor '{}' has an invalid shape {} (dims must be integers 0..2^40, product <= 2^48)",
                                name, shape->dump()));
    }
    n_elements *= *dim;
    t.shape.push_back(static_cast<std::int64_t>(*dim));
  }

  const auto offsets = entry.find("data_offsets");
  std::optional<std::uint64_t> begin, end;
  if (offsets != entry.end() && offsets->is_array() && offsets->size() == 2) {
    begin = as_index((*offsets)[0]);
    end = as_index((*offsets)[1]);
  }
  if (!begin || !end) return bad(p, fmt::format("tensor '{}' has no 'data_offsets' [begin, end]", name));
  if (*begin > *end || *end > data_size) {
    return bad(p, fmt::format("tensor '{}' has data_offsets [{}, {}] outside the data section of {} bytes", name,
                              *begin, *end, data_size));
  }
  t.size_bytes = *end - *begin;
  if (t.size_bytes != n_elements * info->size) {
    return bad(p, fmt::format("tensor '{}' has {} bytes of data but shape {} of {} needs {}", name, t.size_bytes,
                              shape->dump(), t.dtype_name, n_elements * info->size));
  }
  t.data = data_section + *begin;
  return t;
}

}  // namespace

result<safetensors_file> safetensors_file::open(const std::filesystem::path& path) {
  auto mapped = mapped_file::open(path);
  if (!mapped) return std::unexpected(mapped.error());
  safetensors_file file;
  file.file_ = *mapped;
  const std::string p = path.string();
  const std::uint64_t file_size = file.file_->size_bytes();
  if (file_size < 8) return bad(p, fmt::format("file of {} bytes is too short for a safetensors header", file_size));
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.file_->data(), 8);
  if (header_size > file_size - 8 || header_size > k_max_header_bytes) {
    return bad(p, fmt::format("safetensors header length {} exceeds the file ({} bytes) or the 100 MB limit",
                              header_size, file_size));
  }
  const char* json_begin = reinterpret_cast<const char*>(file.file_->data() + 8);
  const auto header = nlohmann::json::parse(json_begin, json_begin + header_size, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return bad(p, "safetensors header is not a valid json object");
  }
  const std::byte* data_section = file.file_->data() + 8 + header_size;
  const std::uint64_t data_size = file_size - 8 - header_size;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (entry.is_object()) {
        for (const auto& [key, value] : entry.items())
          if (value.is_string()) file.metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    auto t = parse_entry(p, name, entry, data_section, data_size);
    if (!t) return std::unexpected(t.error());
    file.tensors_.emplace(name, std::move(*t));
  }
  return file;
}

const safetensors_tensor* safetensors_file::find(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace kick
