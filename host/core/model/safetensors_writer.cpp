#include "core/model/safetensors_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace kick {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

struct dtype_size {
  const char* name;
  std::size_t size;
};

constexpr dtype_size k_sizes[] = {{"F64", 8}, {"I64", 8}, {"U64", 8}, {"F32", 4}, {"I32", 4}, {"U32", 4},
                                  {"F16", 2}, {"BF16", 2}, {"I16", 2}, {"U16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}};

std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  return tmp;
}

// Writes through `fill` into a temporary file, then renames it over `path`.
template <class Fill>
status write_via_temporary(const std::filesystem::path& path, Fill fill) {
  const std::filesystem::path tmp = temporary_beside(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(status_code::unavailable, fmt::format("{}: cannot create the file", tmp.string()));
    fill(out);
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return fail(status_code::unavailable, fmt::format("{}: write failed (disk full?)", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return fail(status_code::unavailable, fmt::format("{}: cannot rename the written file into place: {}", path.string(), ec.message()));
  }
  return {};
}

}  // namespace

std::size_t safetensors_dtype_size(const std::string& dtype_name) {
  for (const dtype_size& d : k_sizes)
    if (dtype_name == d.name) return d.size;
  return 0;
}

status write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  return write_via_temporary(path, [&](std::ofstream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

status write_safetensors(const std::filesystem::path& path, const std::vector<safetensors_out_tensor>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  const std::string p = path.string();
  std::set<std::string> names;
  for (const safetensors_out_tensor& t : tensors) {
    const std::size_t size = safetensors_dtype_size(t.dtype_name);
    if (t.name.empty() || t.name == "__metadata__")
      return fail(status_code::invalid_argument, fmt::format("{}: tensor name '{}' is not allowed", p, t.name));
    if (!names.insert(t.name).second)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' is written twice", p, t.name));
    if (size == 0)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has unknown dtype '{}'", p, t.name, t.dtype_name));
    std::uint64_t n = 1;
    for (std::int64_t d : t.shape) {
      if (d < 0) return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has a negative dimension", p, t.name));
      n *= static_cast<std::uint64_t>(d);
    }
    if (n * size != t.bytes().size())
      return fail(status_code::internal, fmt::format("{}: tensor '{}' holds {} bytes, its shape and dtype {} need {}", p,
                                                     t.name, t.bytes().size(), t.dtype_name, n * size));
  }
  // Widest element type first (stable: the caller's order within a width), so that with an
  // 8-aligned data section every tensor is aligned to its element size and there are no holes.
  std::vector<const safetensors_out_tensor*> order;
  for (const safetensors_out_tensor& t : tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return safetensors_dtype_size(a->dtype_name) > safetensors_dtype_size(b->dtype_name);
  });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const safetensors_out_tensor* t : order) {
    const std::uint64_t end = offset + t->bytes().size();
    header[t->name] = {{"dtype", t->dtype_name}, {"shape", t->shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  const std::uint64_t header_size = text.size();
  return write_via_temporary(path, [&](std::ofstream& out) {
    char length[8];
    std::memcpy(length, &header_size, 8);
    out.write(length, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const safetensors_out_tensor* t : order) {
      const auto bytes = t->bytes();
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  });
}

}  // namespace kick
