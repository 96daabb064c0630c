// A minimal GGUF (v2/v3) writer for tests: builds files byte by byte so that tests can write
// valid files and then corrupt chosen fields. Reusable by other suites (tokenizer, backend).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kick::test {

class gguf_writer {
 public:
  // Byte positions of the sections of the last serialized file (for corruption tests).
  struct layout {
    std::size_t kv_start = 0;       // first metadata key/value (after magic, version, counts)
    std::size_t tensors_start = 0;  // first tensor info
    std::size_t data_start = 0;     // aligned start of the data section
    std::vector<std::size_t> tensor_info_start;  // each tensor info
  };

  void add_u8(const std::string& key, std::uint8_t v);
  void add_u32(const std::string& key, std::uint32_t v);
  void add_i32(const std::string& key, std::int32_t v);
  void add_u64(const std::string& key, std::uint64_t v);
  void add_f32(const std::string& key, float v);
  void add_f64(const std::string& key, double v);
  void add_bool(const std::string& key, bool v);
  void add_string(const std::string& key, const std::string& v);
  void add_string_array(const std::string& key, const std::vector<std::string>& v);
  void add_f32_array(const std::string& key, const std::vector<float>& v);
  void add_i32_array(const std::string& key, const std::vector<std::int32_t>& v);
  // A key/value with arbitrary pre-encoded value bytes (type id + payload) for malformed files.
  void add_raw(const std::string& key, std::uint32_t type, std::string payload);

  // A tensor with GGML dims `ne` (ne[0] innermost) and its encoded bytes. Offsets are assigned
  // in order, aligned, unless `offset` forces one.
  void add_tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t ggml_type,
                  std::string bytes, std::optional<std::uint64_t> offset = std::nullopt);

  std::string serialize(std::uint32_t version = 3, std::uint32_t alignment = 32) const;
  const layout& last_layout() const { return layout_; }
  void write(const std::filesystem::path& path, std::uint32_t version = 3, std::uint32_t alignment = 32) const;

 private:
  struct tensor {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::string bytes;
    std::optional<std::uint64_t> offset;
  };
  std::vector<std::string> kvs_;  // each fully encoded: key string, type, value
  std::vector<tensor> tensors_;
  mutable layout layout_;
};

// Little-endian encoding helpers.
template <class T>
void append_le(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void append_gguf_string(std::string& out, const std::string& s);

// Writes bytes to a file (creating directories).
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace kick::test
