// A parsed .safetensors file: u64 header length N, an N-byte JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data.
// Memory-mapped; every entry is checked against the file before use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/util/mapped_file.h"
#include "kick/status.h"
#include "kick/tensor.h"

namespace kick {

struct safetensors_tensor {
  std::string dtype_name;           // as written: "F32", "BF16", "I64", ...
  std::optional<dtype> type;        // set for F32, F16 and BF16 (what kick computes with)
  std::vector<std::int64_t> shape;  // row-major, outermost first; empty for a scalar
  const std::byte* data = nullptr;
  std::uint64_t size_bytes = 0;
};

class safetensors_file {
 public:
  // Parses and validates the header: its length against the file, the JSON, each entry's dtype,
  // shape and data_offsets (inside the data section, consistent with shape x dtype size).
  // Errors name the path and the tensor.
  static result<safetensors_file> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  std::shared_ptr<const mapped_file> file() const { return file_; }
  const std::map<std::string, safetensors_tensor>& tensors() const { return tensors_; }
  const safetensors_tensor* find(const std::string& name) const;
  // The header's "__metadata__" string map (entries whose value is not a string are skipped).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::shared_ptr<const mapped_file> file_;
  std::map<std::string, safetensors_tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace kick
