// Internal helpers shared by the model loaders (not part of the host's interface).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model_loader.h"
#include "kick/tensor.h"

namespace kick::detail {

result<loaded_model> load_hf_model(const std::filesystem::path& dir);
result<loaded_model> load_gguf_model(const std::filesystem::path& path);
result<loaded_model> load_llama2c_model(const std::filesystem::path& path);

// OK when `bytes` hold a llama2.c legacy checkpoint: a plausible header (positive, moderate dims,
// dim % n_heads == 0, n_heads % n_kv_heads == 0) and exactly the file size it implies. The
// error says why not, without the path (callers add it).
status check_llama2c_file(std::span<const std::byte> bytes);

// "[a, b]" for error messages and descriptions.
std::string format_shape(std::span<const std::int64_t> shape);
std::string format_shape(const tensor_view& view);

// A contiguous 1-D or 2-D view of `data`. When `data` is not aligned to the element size (a
// safetensors offset may be odd), the bytes are copied into an aligned buffer owned by `model`.
tensor_view place_tensor(loaded_model& model, dtype type, const std::byte* data, std::span<const std::int64_t> shape);

// A 1-D f32 copy of a norm or bias vector stored as `type` (norms and biases are always f32 in a
// model_view: they are tiny, and backends then need no per-dtype code for them).
tensor_view f32_vector(loaded_model& model, dtype type, const std::byte* data, std::int64_t n);

// Bytes of a tensor of this dtype and shape, or -1 if the last dimension is not whole blocks.
std::int64_t tensor_size_bytes(dtype type, std::span<const std::int64_t> shape);

// Counts the parameters of every distinct tensor (a tied output is counted once) and of every
// compressed linear layer (rows x cols).
std::int64_t count_params(const model_view& view);

// The tensor names of one file format; every "{}" stands for the block index.
struct tensor_naming {
  const char* tok_embd;
  const char* attn_norm;
  const char* wq;
  const char* wk;
  const char* wv;
  const char* wo;
  const char* bq;
  const char* bk;
  const char* bv;
  const char* ffn_norm;
  const char* w_gate;
  const char* w_up;
  const char* w_down;
  const char* output_norm;
};

// Looks a tensor up by name, checking it has `shape`; the error names the file and tensor.
using tensor_lookup = std::function<result<tensor_view>(const std::string& name, std::vector<std::int64_t> shape)>;

// Fills every tensor of `view` but `output` (embedding, blocks, final norm; biases only when
// view.config.qkv_bias) with the shapes view.config implies. Returns the first lookup error.
status take_llama_tensors(model_view& view, const tensor_naming& names, const tensor_lookup& lookup);

// Stores a successfully read value into `field`; returns the read's error otherwise.
template <class T, class U>
status assign(T& field, const result<U>& value) {
  if (!value) return value.error();
  field = *value;
  return {};
}

// Sanity limits for dimensions read from files: 1..k_max_dim.
inline constexpr std::int64_t k_max_dim = std::int64_t{1} << 24;

}  // namespace kick::detail
