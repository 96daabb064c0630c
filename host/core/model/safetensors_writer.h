// Writing .safetensors files: u64 header length N, an N-byte JSON header
// {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then the data.
// The header is padded with spaces so that the data section starts 8-byte aligned, and tensors
// are laid out without holes, widest element type first, so that every tensor is aligned to
// its element size. Files are written to a temporary name beside the target, then renamed.
// write_safetensors writes tensors held in memory; write_safetensors_streamed (which it uses)
// writes tensors produced chunk by chunk, for files larger than memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "kick/status.h"

namespace kick {

// One tensor to write. `data` (non-owning; must outlive the write) is used unless `owned` is
// non-empty. Its size must be the product of `shape` times the size of `dtype_name`.
struct safetensors_out_tensor {
  std::string name;
  std::string dtype_name;  // "F32", "F16", "BF16", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8"
  std::vector<std::int64_t> shape;
  std::span<const std::byte> data;
  std::vector<std::byte> owned;

  std::span<const std::byte> bytes() const { return owned.empty() ? data : std::span<const std::byte>(owned); }
};

// Bytes per element of a safetensors dtype name, or 0 for an unknown one.
std::size_t safetensors_dtype_size(const std::string& dtype_name);

// A tensor viewing `values` (which must outlive the write).
template <class T>
safetensors_out_tensor make_out_tensor(std::string name, std::string dtype_name, std::vector<std::int64_t> shape,
                                       const std::vector<T>& values) {
  return {std::move(name), std::move(dtype_name), std::move(shape), std::as_bytes(std::span<const T>(values)), {}};
}

// Writes `tensors` and `metadata` to `path` (atomically: a temporary file renamed over it).
// Checks names are unique and non-empty, dtypes known and sizes consistent; errors name the
// path and the tensor.
status write_safetensors(const std::filesystem::path& path, const std::vector<safetensors_out_tensor>& tensors,
                         const std::map<std::string, std::string>& metadata);

// Streaming: the header is fixed by the tensors' names, dtypes and shapes alone; the data is then
// produced tensor by tensor, in chunks, so no tensor has to be in memory whole.
struct safetensors_tensor_spec {
  std::string name;
  std::string dtype_name;  // as for safetensors_out_tensor
  std::vector<std::int64_t> shape;
};

// Appends the next bytes of the current tensor to the file.
using safetensors_sink = std::function<status(std::span<const std::byte> bytes)>;

// Produces one tensor's bytes through the sink, in as many calls as it likes; exactly the
// tensor's size in all (checked: an error names the tensor).
using safetensors_fill = std::function<status(const safetensors_tensor_spec& tensor, const safetensors_sink& sink)>;

// Writes a .safetensors file whose tensors are produced by `fill`, called once per tensor in the
// file's data order (widest element type first, the caller's order within a width), through a
// temporary file renamed over `path`. Checks as write_safetensors; a failing fill, or one that
// writes too few or too many bytes, removes the temporary file and returns its error.
status write_safetensors_streamed(const std::filesystem::path& path, const std::vector<safetensors_tensor_spec>& tensors,
                                  const std::map<std::string, std::string>& metadata, const safetensors_fill& fill);

// The data size in bytes of a tensor of `shape` and `dtype_name`, or an error naming `path` and
// the tensor (unknown dtype, negative dimension, overflow).
result<std::uint64_t> safetensors_tensor_bytes(const std::filesystem::path& path, const safetensors_tensor_spec& tensor);

// Writes `text` to `path` through a temporary file renamed over it.
status write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace kick
