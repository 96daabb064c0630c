// The mapping between a compressed linear layer (kick/formats.h) and named, typed safetensors
// tensors plus a small JSON descriptor of its scalars. For a layer prefix P (for example
// "model.layers.3.mlp.down_proj"):
//   sparse-nm     P.nm_values F32|F16|BF16 [rows, cols/m*n],
//                 P.nm_indices U8 [rows, ceil(cols/m*n * nm_index_bits(m) / 8)] (packed index fields)
//   sparse-bitmap P.bitmap U64 [rows, ceil(cols/64)], P.values F32|F16|BF16 [nnz], P.row_offsets I64 [rows+1]
// (sparse values are saved in their value_type: f16/bf16 for a layer of a 16-bit model)
//   quant-group   P.qweight U32 [rows, ceil(cols*bits/32)], P.scales F32 [rows, n_groups],
//                 P.zeros F32 [rows, n_groups], optional P.g_idx I32 [cols], P.input_scale F32 [cols]
//   nf4           P.nf4_codes U8 [ceil(rows*cols/2)], P.absmax F32 [n_blocks] (always the decoded
//                 values), with double quantization also P.absmax_codes U8 [n_blocks] and
//                 P.absmax2 F32 [ceil(n_blocks/absmax_block_size)]
//   int8-outlier  P.q I8 [rows, cols], P.row_scale F32 [rows], P.outlier_cols I32 [n_outliers],
//                 P.outlier_values F32 [rows, n_outliers]
// The descriptor holds "format" (layout_name), "shape" [rows, cols] and the layout's scalars:
// n, m | bits, group_size, symmetric, n_groups | block_size, double_quant, absmax_block_size,
// absmax_offset. A dense layer is not a layout here: it is an ordinary P.weight tensor.
// A saved model keeps every descriptor in __metadata__["kick.layouts"], a JSON object
// {P: descriptor} (k_layouts_metadata_key).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/safetensors_file.h"
#include "core/model/safetensors_writer.h"
#include "kick/formats.h"
#include "kick/status.h"

namespace kick {

inline constexpr const char* k_layouts_metadata_key = "kick.layouts";
inline constexpr const char* k_compression_metadata_key = "kick.compression";

// The tensors of a non-dense layer, named P.<suffix>, viewing w's arrays (w must outlive their
// use). invalid_argument for a dense layout.
result<std::vector<safetensors_out_tensor>> layout_tensors(const compressed_weight& w, const std::string& prefix);

// The descriptor of a non-dense layer.
nlohmann::json layout_descriptor(const compressed_weight& w);

// A tensor found by name, and the file that holds it (for messages); tensor null when absent.
// When `mapping` (the file's read-only mapping) is set, the pages a layout tensor is copied from
// are released afterwards (core/util/release_pages.h), so the layer is not resident twice.
struct found_tensor {
  const safetensors_tensor* tensor = nullptr;
  std::string file;
  const mapped_file* mapping = nullptr;
};
using tensor_finder = std::function<found_tensor(const std::string& name)>;

// Rebuilds the layer P from its descriptor and tensors, then runs check_layout. Every missing,
// mis-typed or mis-shaped tensor, bad descriptor field or failed check is an invalid_argument
// (not_found for a missing tensor) naming the file and the tensor (or the descriptor key).
// `where` names the descriptor's origin in messages (the file holding __metadata__).
result<compressed_weight> layout_from_tensors(const tensor_finder& find, const std::string& prefix,
                                              const nlohmann::json& descriptor, const std::string& where);

}  // namespace kick
