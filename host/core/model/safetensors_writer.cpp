#include "core/model/safetensors_writer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
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

// Writes through `fill` (returning a status) into a temporary file, then renames it over `path`.
template <class Fill>
status write_via_temporary(const std::filesystem::path& path, Fill fill) {
  const std::filesystem::path tmp = temporary_beside(path);
  const auto discard = [&] {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
  };
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(status_code::unavailable, fmt::format("{}: cannot create the file", tmp.string()));
    status filled = fill(out);
    out.flush();
    if (!filled.ok() || !out) {
      out.close();
      discard();
      return filled.ok() ? fail(status_code::unavailable, fmt::format("{}: write failed (disk full?)", tmp.string())) : filled;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    discard();
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
  return write_via_temporary(path, [&](std::ofstream& out) {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return status{};
  });
}

result<std::uint64_t> safetensors_tensor_bytes(const std::filesystem::path& path, const safetensors_tensor_spec& t) {
  const std::string p = path.string();
  const std::size_t size = safetensors_dtype_size(t.dtype_name);
  if (size == 0)
    return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has unknown dtype '{}'", p, t.name, t.dtype_name));
  std::uint64_t n = size;
  for (std::int64_t d : t.shape) {
    if (d < 0) return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has a negative dimension", p, t.name));
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(d))
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' is too large", p, t.name));
    n *= static_cast<std::uint64_t>(d);
  }
  return n;
}

status write_safetensors_streamed(const std::filesystem::path& path, const std::vector<safetensors_tensor_spec>& tensors,
                                  const std::map<std::string, std::string>& metadata, const safetensors_fill& fill) {
  const std::string p = path.string();
  std::set<std::string> names;
  for (const safetensors_tensor_spec& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      return fail(status_code::invalid_argument, fmt::format("{}: tensor name '{}' is not allowed", p, t.name));
    if (!names.insert(t.name).second)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' is written twice", p, t.name));
    if (auto bytes = safetensors_tensor_bytes(path, t); !bytes) return fail(bytes.error());
  }
  // Widest element type first (stable: the caller's order within a width), so that with an
  // 8-aligned data section every tensor is aligned to its element size and there are no holes.
  std::vector<const safetensors_tensor_spec*> order;
  for (const safetensors_tensor_spec& t : tensors) order.push_back(&t);
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
  for (const safetensors_tensor_spec* t : order) {
    const std::uint64_t end = offset + *safetensors_tensor_bytes(path, *t);
    header[t->name] = {{"dtype", t->dtype_name}, {"shape", t->shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');
  const std::uint64_t header_size = text.size();
  return write_via_temporary(path, [&](std::ofstream& out) -> status {
    char length[8];
    std::memcpy(length, &header_size, 8);
    out.write(length, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const safetensors_tensor_spec* t : order) {
      const std::uint64_t expected = *safetensors_tensor_bytes(path, *t);
      std::uint64_t written = 0;
      const safetensors_sink sink = [&](std::span<const std::byte> bytes) -> status {
        if (bytes.size() > expected - written)
          return fail(status_code::internal, fmt::format("{}: tensor '{}' was given more than its {} bytes", p, t->name, expected));
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!out) return fail(status_code::unavailable, fmt::format("{}: write failed in tensor '{}' (disk full?)", p, t->name));
        written += bytes.size();
        return {};
      };
      if (status s = fill(*t, sink); !s.ok()) return s;
      if (written != expected)
        return fail(status_code::internal, fmt::format("{}: tensor '{}' was given {} of its {} bytes", p, t->name, written, expected));
    }
    return {};
  });
}

status write_safetensors(const std::filesystem::path& path, const std::vector<safetensors_out_tensor>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  const std::string p = path.string();
  std::vector<safetensors_tensor_spec> specs;
  std::map<std::string, const safetensors_out_tensor*> by_name;
  specs.reserve(tensors.size());
  for (const safetensors_out_tensor& t : tensors) {
    specs.push_back({t.name, t.dtype_name, t.shape});
    by_name.emplace(t.name, &t);
    auto expected = safetensors_tensor_bytes(path, specs.back());
    if (!expected) continue;  // reported by write_safetensors_streamed, with the other checks
    if (*expected != t.bytes().size())
      return fail(status_code::internal, fmt::format("{}: tensor '{}' holds {} bytes, its shape and dtype {} need {}", p,
                                                     t.name, t.bytes().size(), t.dtype_name, *expected));
  }
  return write_safetensors_streamed(path, specs, metadata, [&](const safetensors_tensor_spec& spec, const safetensors_sink& sink) {
    return sink(by_name.at(spec.name)->bytes());
  });
}

}  // namespace kick
