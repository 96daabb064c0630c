#include "core/model/gguf_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/model/ggml_types.h"
#include "core/model/gguf_value_types.h"

namespace kick {
namespace {

using detail::scalar_as_double;
using detail::type_name;

constexpr std::uint64_t k_default_alignment = 32;
constexpr std::uint32_t k_max_dims = 4;
// Largest metadata array accepted (vocabularies hold a few hundred thousand entries): bounds the
// memory a lying length can make the parser use, since numbers are widened to 8-byte doubles.
constexpr std::uint64_t k_max_array_elements = std::uint64_t{1} << 24;
// Reservations are capped; vectors grow only as entries actually parse.
constexpr std::uint64_t k_max_reserve = 4096;

// Bounds-checked little-endian cursor over the mapping. Every read either succeeds entirely
// inside the file or fails with a message naming the path, what was being read and where.
class reader {
 public:
  reader(std::span<const std::byte> bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

  std::uint64_t position() const { return pos_; }
  std::uint64_t remaining() const { return bytes_.size() - pos_; }
  const std::string& path() const { return path_; }

  failure truncated(std::string_view what, std::uint64_t need) const {
    return fail(status_code::invalid_argument,
                fmt::format("{}: truncated gguf file: {} needs {} bytes at offset {} but only {} remain",
                            path_, what, need, pos_, remaining()));
  }

  template <class T>
  result<T> scalar(std::string_view what) {
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  result<std::string_view> string(std::string_view what) {
    auto length = scalar<std::uint64_t>(what);
    if (!length) return std::unexpected(length.error());
    if (*length > remaining()) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: {} claims a string of {} bytes at offset {} but only {} bytes remain",
                              path_, what, *length, pos_, remaining()));
    }
    std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<std::size_t>(*length));
    pos_ += *length;
    return s;
  }

  const std::byte* at(std::uint64_t offset) const { return bytes_.data() + offset; }

 private:
  std::span<const std::byte> bytes_;
  std::string path_;
  std::uint64_t pos_ = 0;
};

// Size in the file of one scalar element of `type`, 0 for string/array/unknown.
std::uint64_t scalar_size(gguf_type type) {
  switch (type) {
    case gguf_type::u8: case gguf_type::i8: case gguf_type::boolean: return 1;
    case gguf_type::u16: case gguf_type::i16: return 2;
    case gguf_type::u32: case gguf_type::i32: case gguf_type::f32: return 4;
    case gguf_type::u64: case gguf_type::i64: case gguf_type::f64: return 8;
    case gguf_type::string: case gguf_type::array: return 0;
  }
  return 0;
}

template <class T, class Store>
status read_into(reader& in, std::string_view what, Store&& store) {
  auto v = in.scalar<T>(what);
  if (!v) return v.error();
  store(*v);
  return {};
}

// Reads one scalar of `type` into value.u / value.i / value.f.
status read_scalar(reader& in, gguf_type type, gguf_value& value, std::string_view what) {
  auto to_u = [&](auto v) { value.u = static_cast<std::uint64_t>(v); };
  auto to_i = [&](auto v) { value.i = static_cast<std::int64_t>(v); };
  auto to_f = [&](auto v) { value.f = static_cast<double>(v); };
  switch (type) {
    case gguf_type::u8: return read_into<std::uint8_t>(in, what, to_u);
    case gguf_type::boolean: return read_into<std::uint8_t>(in, what, [&](std::uint8_t v) { value.u = v != 0; });
    case gguf_type::i8: return read_into<std::int8_t>(in, what, to_i);
    case gguf_type::u16: return read_into<std::uint16_t>(in, what, to_u);
    case gguf_type::i16: return read_into<std::int16_t>(in, what, to_i);
    case gguf_type::u32: return read_into<std::uint32_t>(in, what, to_u);
    case gguf_type::i32: return read_into<std::int32_t>(in, what, to_i);
    case gguf_type::u64: return read_into<std::uint64_t>(in, what, to_u);
    case gguf_type::i64: return read_into<std::int64_t>(in, what, to_i);
    case gguf_type::f32: return read_into<float>(in, what, to_f);
    case gguf_type::f64: return read_into<double>(in, what, to_f);
    case gguf_type::string: case gguf_type::array: break;
  }
  return fail(status_code::internal, "read_scalar called on a non-scalar type");
}

bool valid_type(std::uint32_t raw) { return raw <= static_cast<std::uint32_t>(gguf_type::f64); }

status read_value(reader& in, gguf_type type, gguf_value& value, std::string_view key) {
  value.type = type;
  const std::string what = fmt::format("value of key '{}'", key);
  if (type == gguf_type::string) {
    auto s = in.string(what);
    if (!s) return s.error();
    value.s = *s;
    return {};
  }
  if (type != gguf_type::array) return read_scalar(in, type, value, what);

  auto raw_element = in.scalar<std::uint32_t>(what + " (array element type)");
  if (!raw_element) return raw_element.error();
  if (!valid_type(*raw_element)) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: key '{}' has an array of unknown value type {} (accepted 0..12)", in.path(), key,
                            *raw_element));
  }
  const auto element = static_cast<gguf_type>(*raw_element);
  if (element == gguf_type::array) {
    return fail(status_code::unimplemented,
                fmt::format("{}: key '{}' holds nested arrays, which are not supported", in.path(), key));
  }
  auto count = in.scalar<std::uint64_t>(what + " (array length)");
  if (!count) return count.error();
  // Every element occupies at least its minimum size in the file: bound the count by what remains.
  const std::uint64_t min_size = element == gguf_type::string ? 8 : scalar_size(element);
  if (*count > in.remaining() / min_size) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: key '{}' claims an array of {} {} elements but only {} bytes remain", in.path(), key,
                            *count, type_name(element), in.remaining()));
  }
  if (*count > k_max_array_elements) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: key '{}' has an array of {} elements (accepted at most {})", in.path(), key, *count,
                            k_max_array_elements));
  }
  value.array_type = element;
  if (element == gguf_type::string) {
    value.array_strings.reserve(static_cast<std::size_t>(std::min(*count, k_max_reserve)));
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto s = in.string(what);
      if (!s) return s.error();
      value.array_strings.push_back(*s);
    }
    return {};
  }
  value.array_numbers.reserve(static_cast<std::size_t>(std::min(*count, k_max_reserve)));
  gguf_value scratch;
  for (std::uint64_t i = 0; i < *count; ++i) {
    if (auto s = read_scalar(in, element, scratch, what); !s.ok()) return s;
    value.array_numbers.push_back(scalar_as_double(element, scratch));
  }
  return {};
}

}  // namespace

result<gguf_file> gguf_file::open(const std::filesystem::path& path) {
  auto mapped = mapped_file::open(path);
  if (!mapped) return std::unexpected(mapped.error());
  gguf_file file;
  file.file_ = *mapped;
  const std::string p = path.string();
  reader in(file.file_->bytes(), p);

  if (in.remaining() < 4 || std::memcmp(in.at(0), "GGUF", 4) != 0) {
    return fail(status_code::invalid_argument, fmt::format("{}: not a gguf file (magic is not 'GGUF')", p));
  }
  (void)in.scalar<std::uint32_t>("magic");
  auto version = in.scalar<std::uint32_t>("version");
  if (!version) return std::unexpected(version.error());
  if (*version != 2 && *version != 3) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: unsupported gguf version {} (accepted 2 or 3)", p, *version));
  }
  file.version_ = *version;
  auto n_tensors = in.scalar<std::uint64_t>("tensor count");
  if (!n_tensors) return std::unexpected(n_tensors.error());
  auto n_kv = in.scalar<std::uint64_t>("metadata key/value count");
  if (!n_kv) return std::unexpected(n_kv.error());
  // Minimum sizes: a key/value is 8 (key length) + 4 (type) + 1 (smallest value); a tensor info
  // is 8 (name length) + 4 (n_dims) + 8 (one dim) + 4 (type) + 8 (offset).
  if (*n_kv > in.remaining() / 13) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: header claims {} metadata keys but the file has only {} bytes left", p, *n_kv,
                            in.remaining()));
  }
  if (*n_tensors > in.remaining() / 32) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: header claims {} tensors but the file has only {} bytes left", p, *n_tensors,
                            in.remaining()));
  }

  std::unordered_set<std::string_view> keys;
  for (std::uint64_t k = 0; k < *n_kv; ++k) {
    auto key = in.string(fmt::format("key of metadata entry {}", k));
    if (!key) return std::unexpected(key.error());
    if (!keys.insert(*key).second) {
      return fail(status_code::invalid_argument, fmt::format("{}: duplicate metadata key '{}'", p, *key));
    }
    auto raw_type = in.scalar<std::uint32_t>(fmt::format("type of key '{}'", *key));
    if (!raw_type) return std::unexpected(raw_type.error());
    if (!valid_type(*raw_type)) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: key '{}' has unknown value type {} (accepted 0..12)", p, *key, *raw_type));
    }
    gguf_value value;
    if (auto s = read_value(in, static_cast<gguf_type>(*raw_type), value, *key); !s.ok()) return fail(s);
    file.metadata_.emplace_back(std::string(*key), std::move(value));
  }

  std::uint64_t alignment = k_default_alignment;
  if (const gguf_value* a = file.find("general.alignment")) {
    if (a->type != gguf_type::u32 || a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: key 'general.alignment' must be a u32 power of two, got {} {}", p,
                              type_name(a->type), a->u));
    }
    alignment = a->u;
  }

  std::unordered_set<std::string_view> names;
  file.tensors_.reserve(static_cast<std::size_t>(std::min(*n_tensors, k_max_reserve)));
  for (std::uint64_t t = 0; t < *n_tensors; ++t) {
    gguf_tensor_info info;
    auto name = in.string(fmt::format("name of tensor {}", t));
    if (!name) return std::unexpected(name.error());
    info.name = std::string(*name);
    auto n_dims = in.scalar<std::uint32_t>(fmt::format("dimension count of tensor '{}'", info.name));
    if (!n_dims) return std::unexpected(n_dims.error());
    if (*n_dims == 0 || *n_dims > k_max_dims) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: tensor '{}' has {} dimensions (accepted 1..{})", p, info.name, *n_dims, k_max_dims));
    }
    std::uint64_t n_elements = 1;
    for (std::uint32_t d = 0; d < *n_dims; ++d) {
      auto ne = in.scalar<std::uint64_t>(fmt::format("dimension {} of tensor '{}'", d, info.name));
      if (!ne) return std::unexpected(ne.error());
      // Bound each dimension and the product so that size arithmetic cannot overflow.
      if (*ne == 0 || *ne > (std::uint64_t{1} << 40) || n_elements > (std::uint64_t{1} << 48) / *ne) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: tensor '{}' has invalid dimension {} = {} (each must be 1..2^40, product <= 2^48)",
                                p, info.name, d, *ne));
      }
      n_elements *= *ne;
      info.ne.push_back(static_cast<std::int64_t>(*ne));
    }
    auto type = in.scalar<std::uint32_t>(fmt::format("type of tensor '{}'", info.name));
    if (!type) return std::unexpected(type.error());
    info.ggml_type = *type;
    auto offset = in.scalar<std::uint64_t>(fmt::format("offset of tensor '{}'", info.name));
    if (!offset) return std::unexpected(offset.error());
    info.offset = *offset;
    if (info.offset % alignment != 0) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: tensor '{}' has offset {} that is not a multiple of the alignment {}", p,
                              info.name, info.offset, alignment));
    }
    // Size: known types only; an unknown type keeps size 0 and no data (the loader reports it).
    if (const ggml_type_traits* tr = find_ggml_type(info.ggml_type)) {
      if (static_cast<std::uint64_t>(info.ne[0]) % tr->block_elements != 0) {
        return fail(status_code::invalid_argument,
                    fmt::format("{}: tensor '{}' of type {} has a row of {} elements, not a multiple of the block "
                                "size {}",
                                p, info.name, tr->name, info.ne[0], tr->block_elements));
      }
      info.size_bytes = n_elements / tr->block_elements * tr->block_bytes;
    }
    if (!names.insert(*name).second) {
      return fail(status_code::invalid_argument, fmt::format("{}: duplicate tensor '{}'", p, info.name));
    }
    file.tensors_.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  const std::uint64_t file_size = file.file_->size_bytes();
  const std::uint64_t data_start = (in.position() + alignment - 1) / alignment * alignment;
  for (gguf_tensor_info& info : file.tensors_) {
    if (find_ggml_type(info.ggml_type) == nullptr) continue;
    if (data_start > file_size || info.offset > file_size - data_start ||
        info.size_bytes > file_size - data_start - info.offset) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: tensor '{}' ({} bytes at data offset {}) extends past the end of the file "
                              "({} bytes, data section at {})",
                              p, info.name, info.size_bytes, info.offset, file_size, data_start));
    }
    info.data = in.at(data_start + info.offset);
  }
  return file;
}

}  // namespace kick
