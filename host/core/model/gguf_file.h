// A parsed GGUF (v2/v3) file: metadata key/values and tensor directory, memory-mapped.
// Shared by the model loader (tensors) and the tokenizer (tokenizer.ggml.* metadata).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/mapped_file.h"
#include "kick/status.h"

namespace kick {

enum class gguf_type : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

// One metadata value. Scalars are widened into the matching field; strings are views into the
// mapping; arrays keep their element type, count and the elements (numbers widened, strings as views).
struct gguf_value {
  gguf_type type = gguf_type::u8;
  std::uint64_t u = 0;      // unsigned integer types and boolean
  std::int64_t i = 0;       // signed integer types
  double f = 0.0;           // f32/f64
  std::string_view s;       // string
  gguf_type array_type = gguf_type::u8;
  std::vector<std::string_view> array_strings;  // array of string
  std::vector<double> array_numbers;            // array of any numeric/bool type
};

struct gguf_tensor_info {
  std::string name;
  std::vector<std::int64_t> ne;  // GGML order: ne[0] is the innermost (contiguous) dimension
  std::uint32_t ggml_type = 0;   // GGML type id (0 f32, 1 f16, 8 q8_0, 30 bf16, ...)
  std::uint64_t offset = 0;      // relative to the data section
  const std::byte* data = nullptr;
  std::uint64_t size_bytes = 0;
};

class gguf_file {
 public:
  // Parses and validates the whole header: magic, version (2 or 3), counts, every key, value,
  // string length and array size against the file size, tensor dims, types, alignment and that
  // each tensor's bytes lie inside the file. Errors name the path and the key or tensor.
  static result<gguf_file> open(const std::filesystem::path& path);

  std::uint32_t version() const { return version_; }
  const std::filesystem::path& path() const { return file_->path(); }
  std::shared_ptr<const mapped_file> file() const { return file_; }

  const gguf_value* find(std::string_view key) const;
  const std::vector<std::pair<std::string, gguf_value>>& metadata() const { return metadata_; }
  const std::vector<gguf_tensor_info>& tensors() const { return tensors_; }
  const gguf_tensor_info* find_tensor(std::string_view name) const;

  // Typed access; not_found names the key, invalid_argument names key and actual type.
  result<std::int64_t> get_int(std::string_view key) const;
  result<double> get_float(std::string_view key) const;  // any numeric type
  result<std::string> get_string(std::string_view key) const;
  result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  result<std::vector<double>> get_number_array(std::string_view key) const;

 private:
  std::shared_ptr<const mapped_file> file_;
  std::uint32_t version_ = 0;
  std::vector<std::pair<std::string, gguf_value>> metadata_;
  std::vector<gguf_tensor_info> tensors_;
};

}  // namespace kick
