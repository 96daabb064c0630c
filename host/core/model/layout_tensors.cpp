#include "core/model/layout_tensors.h"

#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <type_traits>

#include "core/model/loader_support.h"
#include "core/util/release_pages.h"
#include "kick/format_codec.h"

namespace kick {
namespace {

using nlohmann::json;

// Upper bound of counts read from a descriptor (keeps size arithmetic far from overflow).
constexpr std::int64_t k_max_count = std::int64_t{1} << 48;

// ---- writing ------------------------------------------------------------------------------------

template <class T>
void add(std::vector<safetensors_out_tensor>& out, const std::string& prefix, const char* suffix, const char* dtype_name,
         std::vector<std::int64_t> shape, const std::vector<T>& values) {
  out.push_back(make_out_tensor(fmt::format("{}.{}", prefix, suffix), dtype_name, std::move(shape), values));
}

std::int64_t size_of(const auto& v) { return static_cast<std::int64_t>(v.size()); }

const char* dtype_name_of(value_type t) { return t == value_type::f32 ? "F32" : t == value_type::f16 ? "F16" : "BF16"; }

void add_values(std::vector<safetensors_out_tensor>& out, const std::string& prefix, const char* suffix, std::vector<std::int64_t> shape,
                const sparse_values& v) {
  if (v.type == value_type::f32) add(out, prefix, suffix, "F32", std::move(shape), v.f32);
  else add(out, prefix, suffix, dtype_name_of(v.type), std::move(shape), v.bits16);
}

// ---- reading ------------------------------------------------------------------------------------

// Reads the descriptor's scalar fields, with errors naming `where`, the layer and the key.
class descriptor_reader {
 public:
  descriptor_reader(const json& d, std::string where, std::string prefix)
      : d_(d), where_(std::move(where)), prefix_(std::move(prefix)) {}

  failure error(const std::string& what) const {
    return fail(status_code::invalid_argument, fmt::format("{}: layout of '{}': {}", where_, prefix_, what));
  }

  // An integer in [lo, hi].
  result<std::int64_t> integer(const char* key, std::int64_t lo, std::int64_t hi) const {
    const auto it = d_.find(key);
    if (it == d_.end() || !it->is_number_integer())
      return error(fmt::format("key '{}' is missing or not an integer", key));
    const std::int64_t v = it->get<std::int64_t>();
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) return range_error(key, it->dump(), lo, hi);
    if (v < lo || v > hi) return range_error(key, it->dump(), lo, hi);
    return v;
  }
  result<bool> flag(const char* key) const {
    const auto it = d_.find(key);
    if (it == d_.end() || !it->is_boolean()) return error(fmt::format("key '{}' is missing or not true/false", key));
    return it->get<bool>();
  }
  result<float> number(const char* key) const {
    const auto it = d_.find(key);
    if (it == d_.end() || !it->is_number()) return error(fmt::format("key '{}' is missing or not a number", key));
    return it->get<float>();
  }

 private:
  failure range_error(const char* key, const std::string& value, std::int64_t lo, std::int64_t hi) const {
    return error(fmt::format("key '{}' = {} is out of range (accepted {}..{})", key, value, lo, hi));
  }
  const json& d_;
  std::string where_;
  std::string prefix_;
};

class tensor_reader {
 public:
  tensor_reader(const tensor_finder& find, std::string prefix) : find_(find), prefix_(std::move(prefix)) {}

  // Copies tensor P.<suffix> into `out` after checking its dtype and exact shape.
  template <class T>
  status read(const char* suffix, const char* dtype_name, const std::vector<std::int64_t>& shape, std::vector<T>& out) const {
    const std::string name = fmt::format("{}.{}", prefix_, suffix);
    const found_tensor f = find_(name);
    if (f.tensor == nullptr) return fail(status_code::not_found, fmt::format("{}: tensor '{}' is missing", f.file, name));
    return copy(f, name, dtype_name, &shape, out);
  }

  // Like read, but any 1-D length is accepted (the caller checks it against the layout).
  template <class T>
  status read_vector(const char* suffix, const char* dtype_name, std::int64_t max_length, std::vector<T>& out) const {
    const std::string name = fmt::format("{}.{}", prefix_, suffix);
    const found_tensor f = find_(name);
    if (f.tensor == nullptr) return fail(status_code::not_found, fmt::format("{}: tensor '{}' is missing", f.file, name));
    if (f.tensor->shape.size() != 1 || f.tensor->shape[0] > max_length)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has shape {}, expected one dimension of at most {}",
                                                             f.file, name, detail::format_shape(f.tensor->shape), max_length));
    return copy(f, name, dtype_name, nullptr, out);
  }

  bool has(const char* suffix) const { return find_(fmt::format("{}.{}", prefix_, suffix)).tensor != nullptr; }

  // Sparse values: an F32, F16 or BF16 tensor of the given shape (any 1-D length up to
  // max_length when shape is null), kept in its own precision.
  status read_values(const char* suffix, const std::vector<std::int64_t>* shape, std::int64_t max_length, sparse_values& out) const {
    const std::string name = fmt::format("{}.{}", prefix_, suffix);
    const found_tensor f = find_(name);
    if (f.tensor == nullptr) return fail(status_code::not_found, fmt::format("{}: tensor '{}' is missing", f.file, name));
    const std::string& type = f.tensor->dtype_name;
    if (type != "F32" && type != "F16" && type != "BF16")
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has dtype {}, expected F32, F16 or BF16", f.file, name, type));
    if (shape == nullptr && (f.tensor->shape.size() != 1 || f.tensor->shape[0] > max_length))
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has shape {}, expected one dimension of at most {}",
                                                             f.file, name, detail::format_shape(f.tensor->shape), max_length));
    out.type = type == "F32" ? value_type::f32 : type == "F16" ? value_type::f16 : value_type::bf16;
    if (out.type == value_type::f32) return copy(f, name, type.c_str(), shape, out.f32);
    return copy(f, name, type.c_str(), shape, out.bits16);
  }

 private:
  template <class T>
  status copy(const found_tensor& f, const std::string& name, const char* dtype_name, const std::vector<std::int64_t>* shape,
              std::vector<T>& out) const {
    const safetensors_tensor& t = *f.tensor;
    if (t.dtype_name != dtype_name)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has dtype {}, expected {}", f.file, name, t.dtype_name, dtype_name));
    if (shape != nullptr && t.shape != *shape)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' has shape {}, expected {}", f.file, name,
                                                             detail::format_shape(t.shape), detail::format_shape(*shape)));
    if (t.size_bytes % sizeof(T) != 0)
      return fail(status_code::invalid_argument, fmt::format("{}: tensor '{}' size is not whole elements", f.file, name));
    out.resize(t.size_bytes / sizeof(T));
    if (t.size_bytes > 0) std::memcpy(out.data(), t.data, t.size_bytes);  // data may be unaligned
    if (f.mapping != nullptr) release_mapped_pages(*f.mapping, {t.data, static_cast<std::size_t>(t.size_bytes)});
    return {};
  }

  const tensor_finder& find_;
  std::string prefix_;
};

#define KICK_TRY(expr)               \
  if (status s_ = (expr); !s_.ok()) \
  return fail(s_)
#define KICK_ASSIGN(var, expr)   \
  auto var##_r = (expr);          \
  if (!var##_r) return fail(var##_r.error()); \
  const auto var = *var##_r

}  // namespace

result<std::vector<safetensors_out_tensor>> layout_tensors(const compressed_weight& w, const std::string& prefix) {
  std::vector<safetensors_out_tensor> out;
  const std::int64_t rows = w.n_rows;
  const bool ok = std::visit(
      [&](const auto& l) -> bool {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, dense_layout>) {
          return false;
        } else if constexpr (std::is_same_v<L, nm_sparse_layout>) {
          const std::int64_t per_row = rows > 0 ? size_of(l.values) / rows : 0;
          add_values(out, prefix, "nm_values", {rows, per_row}, l.values);
          add(out, prefix, "nm_indices", "U8", {rows, nm_index_bytes_per_row(l, w.n_cols)}, l.indices);
        } else if constexpr (std::is_same_v<L, bitmap_sparse_layout>) {
          add(out, prefix, "bitmap", "U64", {rows, l.words_per_row}, l.bitmap);
          add_values(out, prefix, "values", {size_of(l.values)}, l.values);
          add(out, prefix, "row_offsets", "I64", {size_of(l.row_offsets)}, l.row_offsets);
        } else if constexpr (std::is_same_v<L, group_quant_layout>) {
          add(out, prefix, "qweight", "U32", {rows, l.words_per_row}, l.packed);
          add(out, prefix, "scales", "F32", {rows, l.n_groups}, l.scales);
          add(out, prefix, "zeros", "F32", {rows, l.n_groups}, l.zeros);
          if (!l.g_idx.empty()) add(out, prefix, "g_idx", "I32", {size_of(l.g_idx)}, l.g_idx);
          if (!l.input_scale.empty()) add(out, prefix, "input_scale", "F32", {size_of(l.input_scale)}, l.input_scale);
        } else if constexpr (std::is_same_v<L, nf4_layout>) {
          add(out, prefix, "nf4_codes", "U8", {size_of(l.codes)}, l.codes);
          add(out, prefix, "absmax", "F32", {size_of(l.absmax)}, l.absmax);
          if (l.double_quant) {
            add(out, prefix, "absmax_codes", "U8", {size_of(l.absmax_codes)}, l.absmax_codes);
            add(out, prefix, "absmax2", "F32", {size_of(l.absmax2)}, l.absmax2);
          }
        } else {
          add(out, prefix, "q", "I8", {rows, w.n_cols}, l.q);
          add(out, prefix, "row_scale", "F32", {size_of(l.row_scale)}, l.row_scale);
          add(out, prefix, "outlier_cols", "I32", {size_of(l.outlier_cols)}, l.outlier_cols);
          add(out, prefix, "outlier_values", "F32", {rows, size_of(l.outlier_cols)}, l.outlier_values);
        }
        return true;
      },
      w.layout);
  if (!ok) return fail(status_code::invalid_argument, fmt::format("{}: a dense layer has no layout tensors (it is {}.weight)", prefix, prefix));
  return out;
}

json layout_descriptor(const compressed_weight& w) {
  json d = {{"format", layout_name(w.layout)}, {"shape", {w.n_rows, w.n_cols}}};
  std::visit(
      [&](const auto& l) {
        using L = std::decay_t<decltype(l)>;
        if constexpr (std::is_same_v<L, nm_sparse_layout>) {
          d["n"] = l.n;
          d["m"] = l.m;
        } else if constexpr (std::is_same_v<L, group_quant_layout>) {
          d["bits"] = l.bits;
          d["group_size"] = l.group_size;
          d["symmetric"] = l.symmetric;
          d["n_groups"] = l.n_groups;
        } else if constexpr (std::is_same_v<L, nf4_layout>) {
          d["block_size"] = l.block_size;
          d["double_quant"] = l.double_quant;
          d["absmax_block_size"] = l.absmax_block_size;
          d["absmax_offset"] = l.absmax_offset;
        }
      },
      w.layout);
  return d;
}

result<compressed_weight> layout_from_tensors(const tensor_finder& find, const std::string& prefix, const json& descriptor,
                                              const std::string& where) {
  const descriptor_reader r(descriptor, where, prefix);
  if (!descriptor.is_object()) return r.error("the descriptor is not a json object");
  const auto format_it = descriptor.find("format");
  if (format_it == descriptor.end() || !format_it->is_string()) return r.error("key 'format' is missing or not a string");
  const std::string format = format_it->get<std::string>();
  const auto shape_it = descriptor.find("shape");
  if (shape_it == descriptor.end() || !shape_it->is_array() || shape_it->size() != 2 || !(*shape_it)[0].is_number_integer() ||
      !(*shape_it)[1].is_number_integer())
    return r.error("key 'shape' is not [rows, cols]");
  compressed_weight w;
  w.n_rows = (*shape_it)[0].get<std::int64_t>();
  w.n_cols = (*shape_it)[1].get<std::int64_t>();
  if (w.n_rows < 1 || w.n_rows > detail::k_max_dim || w.n_cols < 1 || w.n_cols > detail::k_max_dim)
    return r.error(fmt::format("key 'shape' = {} is out of range (accepted 1..{} each)", shape_it->dump(), detail::k_max_dim));
  const std::int64_t rows = w.n_rows, cols = w.n_cols;
  const tensor_reader t(find, prefix);

  if (format == "sparse-nm") {
    KICK_ASSIGN(m, r.integer("m", 1, 255));
    KICK_ASSIGN(n, r.integer("n", 0, m));
    if (cols % m != 0) return r.error(fmt::format("{} columns are not a multiple of m = {}", cols, m));
    nm_sparse_layout l;
    l.n = static_cast<std::int32_t>(n);
    l.m = static_cast<std::int32_t>(m);
    const std::vector<std::int64_t> shape = {rows, cols / m * n};
    KICK_TRY(t.read_values("nm_values", &shape, 0, l.values));
    const std::int64_t index_bytes = nm_index_bytes_per_row(l, cols);
    // Before plugin API 5 every index had a byte of its own ([rows, cols/m*n]).
    if (const found_tensor f = find(prefix + ".nm_indices"); f.tensor != nullptr && index_bytes != shape[1] && f.tensor->shape == shape)
      return fail(status_code::invalid_argument,
                  fmt::format("{}: tensor '{}.nm_indices' holds one byte per index, the layout of kick before plugin API 5; "
                              "compress the model again with this kick (indices are now packed {} bits each)",
                              f.file, prefix, nm_index_bits(l.m)));
    KICK_TRY(t.read("nm_indices", "U8", {rows, index_bytes}, l.indices));
    w.layout = std::move(l);
  } else if (format == "sparse-bitmap") {
    bitmap_sparse_layout l;
    l.words_per_row = (cols + 63) / 64;
    KICK_TRY(t.read("bitmap", "U64", {rows, l.words_per_row}, l.bitmap));
    KICK_TRY(t.read("row_offsets", "I64", {rows + 1}, l.row_offsets));
    KICK_TRY(t.read_values("values", nullptr, rows * cols, l.values));
    w.layout = std::move(l);
  } else if (format == "quant-group") {
    group_quant_layout l;
    KICK_ASSIGN(bits, r.integer("bits", 1, 16));
    KICK_ASSIGN(group_size, r.integer("group_size", 1, detail::k_max_dim));
    KICK_ASSIGN(symmetric, r.flag("symmetric"));
    KICK_ASSIGN(n_groups, r.integer("n_groups", 1, cols));
    l.bits = static_cast<std::int32_t>(bits);
    l.group_size = group_size;
    l.symmetric = symmetric;
    l.n_groups = n_groups;
    l.words_per_row = quant_words_per_row(cols, l.bits);
    KICK_TRY(t.read("qweight", "U32", {rows, l.words_per_row}, l.packed));
    KICK_TRY(t.read("scales", "F32", {rows, n_groups}, l.scales));
    KICK_TRY(t.read("zeros", "F32", {rows, n_groups}, l.zeros));
    if (t.has("g_idx")) KICK_TRY(t.read("g_idx", "I32", {cols}, l.g_idx));
    if (t.has("input_scale")) KICK_TRY(t.read("input_scale", "F32", {cols}, l.input_scale));
    w.layout = std::move(l);
  } else if (format == "nf4") {
    nf4_layout l;
    KICK_ASSIGN(block_size, r.integer("block_size", 1, k_max_count));
    KICK_ASSIGN(double_quant, r.flag("double_quant"));
    KICK_ASSIGN(absmax_block_size, r.integer("absmax_block_size", 1, k_max_count));
    KICK_ASSIGN(absmax_offset, r.number("absmax_offset"));
    l.block_size = block_size;
    l.double_quant = double_quant;
    l.absmax_block_size = absmax_block_size;
    l.absmax_offset = absmax_offset;
    const std::int64_t n = rows * cols, blocks = (n + block_size - 1) / block_size;
    KICK_TRY(t.read("nf4_codes", "U8", {(n + 1) / 2}, l.codes));
    KICK_TRY(t.read("absmax", "F32", {blocks}, l.absmax));
    if (double_quant) {
      KICK_TRY(t.read("absmax_codes", "U8", {blocks}, l.absmax_codes));
      KICK_TRY(t.read("absmax2", "F32", {(blocks + absmax_block_size - 1) / absmax_block_size}, l.absmax2));
    }
    w.layout = std::move(l);
  } else if (format == "int8-outlier") {
    int8_outlier_layout l;
    KICK_TRY(t.read("q", "I8", {rows, cols}, l.q));
    KICK_TRY(t.read("row_scale", "F32", {rows}, l.row_scale));
    KICK_TRY(t.read_vector("outlier_cols", "I32", cols, l.outlier_cols));
    KICK_TRY(t.read("outlier_values", "F32", {rows, size_of(l.outlier_cols)}, l.outlier_values));
    w.layout = std::move(l);
  } else {
    return r.error(fmt::format("format '{}' is not one of sparse-nm, sparse-bitmap, quant-group, nf4, int8-outlier", format));
  }
  if (status s = check_layout(w); !s.ok()) return r.error(fmt::format("{} tensors are inconsistent: {}", format, s.message()));
  return w;
}

}  // namespace kick
