// Uploading a linear weight: pick the packer of its format, split the rows into parts whose every
// array fits one binding, pack and upload each part.
#include "device_linear.h"

#include <fmt/format.h>

#include <algorithm>

#include "kick/format_codec.h"
#include "linear_pack.h"

namespace kick::vk {

const char* shader_suffix(linear_format f) {
  static constexpr const char* names[] = {"f32", "f16", "bf16", "q8_0", "nm", "bitmap", "gq", "nf4", "int8o"};
  return names[static_cast<int>(f)];
}

namespace {

result<std::unique_ptr<linear_packer>> make_packer(const linear_weight& weight, sparse_storage values, const std::string& what) {
  if ((weight.dense == nullptr) == (weight.compressed == nullptr))
    return fail(status_code::invalid_argument, fmt::format("{}: a linear weight needs exactly one of a dense tensor and a compressed layout", what));
  if (weight.dense != nullptr) return make_dense_packer(*weight.dense, what);
  const compressed_weight& w = *weight.compressed;
  if (status s = check_layout(w); !s.ok()) return fail(s.with_context(fmt::format("{} ({} layout)", what, layout_name(w.layout))));
  switch (w.layout.index()) {
    case 0: return fail(status_code::invalid_argument, fmt::format("{}: a dense layout carries no values; upload the f32 tensor", what));
    case 1:
    case 2: return make_sparse_packer(w, values, what);
    default: return make_quant_packer(w, what);
  }
}

bool fits(const linear_packer& packer, std::int64_t row0, std::int64_t row1, std::uint64_t limit) {
  const std::vector<std::uint64_t> bytes = packer.array_bytes(row0, row1);
  return std::all_of(bytes.begin(), bytes.end(), [&](std::uint64_t b) { return b <= limit; });
}

// Row ranges [starts[i], starts[i+1]) with every array within `limit` bytes, each as long as it can be.
result<std::vector<std::int64_t>> split_rows(const linear_packer& packer, std::int64_t n_rows, std::uint64_t limit, const std::string& what) {
  std::vector<std::int64_t> starts{0};
  std::int64_t row0 = 0;
  while (row0 < n_rows) {
    if (!fits(packer, row0, row0 + 1, limit)) {
      const std::vector<std::uint64_t> bytes = packer.array_bytes(row0, row0 + 1);
      return fail(status_code::resource_exhausted,
                  fmt::format("{}: row {} alone needs {} bytes in one array, more than one binding's {} bytes", what, row0,
                              *std::max_element(bytes.begin(), bytes.end()), limit));
    }
    std::int64_t good = row0 + 1, bad = n_rows + 1;  // fits(good), !fits(bad) or bad past the end
    while (bad - good > 1) {
      const std::int64_t mid = good + (bad - good) / 2;
      if (fits(packer, row0, mid, limit)) good = mid;
      else bad = mid;
    }
    starts.push_back(good);
    row0 = good;
  }
  return starts;
}

}  // namespace

result<device_linear> device_linear::upload(memory_pool& pool, const linear_weight& weight, const upload_options& options,
                                            const std::string& what) {
  auto packer = make_packer(weight, options.values, what);
  if (!packer) return fail(packer.error());
  device_linear out;
  out.what_ = what;
  out.n_rows_ = weight.dense != nullptr ? weight.dense->n_rows() : weight.compressed->n_rows;
  out.n_cols_ = weight.dense != nullptr ? weight.dense->n_cols() : weight.compressed->n_cols;
  out.params_ = (*packer)->params();
  out.name_ = (*packer)->name();
  if (out.n_cols_ > 0x7fffffff || out.n_rows_ > 0x7fffffff)
    return fail(status_code::out_of_range, fmt::format("{}: shape [{}, {}] is too large for 32-bit indexing", what, out.n_rows_, out.n_cols_));

  std::uint64_t limit = pool.owner().caps().max_storage_buffer_range;
  if (options.max_binding_bytes > 0) limit = std::min(limit, options.max_binding_bytes);
  auto starts = split_rows(**packer, out.n_rows_, limit, what);
  if (!starts) return fail(starts.error());

  for (std::size_t i = 0; i + 1 < starts->size(); ++i) {
    const std::int64_t row0 = (*starts)[i], row1 = (*starts)[i + 1];
    packed_part packed = (*packer)->pack(row0, row1);
    linear_part part;
    part.row0 = row0;
    part.n_rows = row1 - row0;
    part.row_words = packed.row_words;
    part.aux_stride = packed.aux_stride;
    part.flat_offset = packed.flat_offset;
    for (std::size_t a = 0; a < packed.arrays.size(); ++a) {
      if (packed.arrays[a].empty()) packed.arrays[a].push_back(0u);  // e.g. the values of 0:M
      const std::uint64_t bytes = packed.arrays[a].size() * 4;
      const std::string name = fmt::format("{} ({}, rows {}..{}, array {})", what, out.name_, row0, row1 - 1, a);
      if (bytes > limit) return fail(status_code::internal, fmt::format("{}: packed {} bytes, over the binding limit {}", name, bytes, limit));
      auto range = pool.allocate(bytes, memory_kind::device, name);
      if (!range) return fail(range.error());
      if (status s = pool.upload(*range, packed.arrays[a].data(), bytes); !s.ok()) return fail(s.with_context(name));
      part.arrays.push_back(*range);
      out.bytes_ += bytes;
    }
    out.parts_.push_back(std::move(part));
  }
  return out;
}

}  // namespace kick::vk
