#include "model-files/gguf_writer.h"

#include <fstream>

namespace kick::test {
namespace {
constexpr std::uint32_t k_u8 = 0, k_i32 = 5, k_u32 = 4, k_f32 = 6, k_bool = 7, k_string = 8, k_array = 9,
                        k_u64 = 10, k_f64 = 12;

std::string encode_key(const std::string& key, std::uint32_t type) {
  std::string out;
  append_gguf_string(out, key);
  append_le(out, type);
  return out;
}
}  // namespace

void append_gguf_string(std::string& out, const std::string& s) {
  append_le<std::uint64_t>(out, s.size());
  out += s;
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void gguf_writer::add_u8(const std::string& key, std::uint8_t v) {
  std::string e = encode_key(key, k_u8);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_u32(const std::string& key, std::uint32_t v) {
  std::string e = encode_key(key, k_u32);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_i32(const std::string& key, std::int32_t v) {
  std::string e = encode_key(key, k_i32);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_u64(const std::string& key, std::uint64_t v) {
  std::string e = encode_key(key, k_u64);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_f32(const std::string& key, float v) {
  std::string e = encode_key(key, k_f32);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_f64(const std::string& key, double v) {
  std::string e = encode_key(key, k_f64);
  append_le(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_bool(const std::string& key, bool v) {
  std::string e = encode_key(key, k_bool);
  append_le<std::uint8_t>(e, v ? 1 : 0);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_string(const std::string& key, const std::string& v) {
  std::string e = encode_key(key, k_string);
  append_gguf_string(e, v);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_string_array(const std::string& key, const std::vector<std::string>& v) {
  std::string e = encode_key(key, k_array);
  append_le(e, k_string);
  append_le<std::uint64_t>(e, v.size());
  for (const auto& s : v) append_gguf_string(e, s);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_f32_array(const std::string& key, const std::vector<float>& v) {
  std::string e = encode_key(key, k_array);
  append_le(e, k_f32);
  append_le<std::uint64_t>(e, v.size());
  for (float x : v) append_le(e, x);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_i32_array(const std::string& key, const std::vector<std::int32_t>& v) {
  std::string e = encode_key(key, k_array);
  append_le(e, k_i32);
  append_le<std::uint64_t>(e, v.size());
  for (std::int32_t x : v) append_le(e, x);
  kvs_.push_back(std::move(e));
}
void gguf_writer::add_raw(const std::string& key, std::uint32_t type, std::string payload) {
  std::string e = encode_key(key, type);
  e += payload;
  kvs_.push_back(std::move(e));
}

void gguf_writer::add_tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t ggml_type,
                             std::string bytes, std::optional<std::uint64_t> offset) {
  tensors_.push_back({name, std::move(ne), ggml_type, std::move(bytes), offset});
}

std::string gguf_writer::serialize(std::uint32_t version, std::uint32_t alignment) const {
  std::string out = "GGUF";
  append_le(out, version);
  append_le<std::uint64_t>(out, tensors_.size());
  append_le<std::uint64_t>(out, kvs_.size());
  layout_ = {};
  layout_.kv_start = out.size();
  for (const auto& kv : kvs_) out += kv;
  layout_.tensors_start = out.size();
  // Assign offsets: each tensor aligned after the previous one.
  std::vector<std::uint64_t> offsets;
  std::uint64_t next = 0;
  for (const auto& t : tensors_) {
    const std::uint64_t off = t.offset.value_or(next);
    offsets.push_back(off);
    next = (off + t.bytes.size() + alignment - 1) / alignment * alignment;
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const auto& t = tensors_[i];
    layout_.tensor_info_start.push_back(out.size());
    append_gguf_string(out, t.name);
    append_le<std::uint32_t>(out, static_cast<std::uint32_t>(t.ne.size()));
    for (std::uint64_t d : t.ne) append_le(out, d);
    append_le(out, t.type);
    append_le(out, offsets[i]);
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  layout_.data_start = out.size();
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    if (tensors_[i].offset) continue;  // forced offsets: bytes are not placed (corruption tests)
    const std::size_t at = layout_.data_start + offsets[i];
    if (out.size() < at) out.resize(at, '\0');
    out += tensors_[i].bytes;
  }
  return out;
}

void gguf_writer::write(const std::filesystem::path& path, std::uint32_t version, std::uint32_t alignment) const {
  write_bytes(path, serialize(version, alignment));
}

}  // namespace kick::test
