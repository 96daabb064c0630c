// Linear layers and embedding lookups: one dispatch per row part of the weight, all parts
// writing disjoint rows, then one barrier.
#include "linear_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "push/linear.h"

namespace kick::vk {
namespace {

constexpr std::uint32_t k_workgroup = 64;         // every linear shader
constexpr std::uint32_t k_matvec_rows = 4;        // output rows per matvec workgroup (lavapipe: 2 -> 4 is 10-25 % faster)
constexpr std::uint32_t k_matmul_tile = 64;       // rows and tokens per matmul workgroup
constexpr std::uint32_t k_max_groups = 65535;     // per grid dimension (the guaranteed minimum)

linear_push push_for(const device_linear& w, const linear_part& part) {
  linear_push p{};
  p.n_rows = static_cast<std::uint32_t>(part.n_rows);
  p.n_cols = static_cast<std::uint32_t>(w.n_cols());
  p.y_row_offset = static_cast<std::uint32_t>(part.row0);
  p.row_words = part.row_words;
  p.aux_stride = part.aux_stride;
  p.group_size = w.params().group_size;
  p.flat_offset = part.flat_offset;
  return p;
}

// Floats a buffer needs for n_tokens rows of `row` floats `stride` apart.
std::uint64_t floats_needed(std::uint32_t n_tokens, std::uint32_t stride, std::int64_t row) {
  return static_cast<std::uint64_t>(n_tokens - 1) * stride + static_cast<std::uint64_t>(row);
}

status check_buffer(const std::string& what, const char* name, const buffer_range& b, std::uint64_t floats) {
  if (b.buffer != VK_NULL_HANDLE && b.size >= floats * 4) return {};
  return fail(status_code::invalid_argument, fmt::format("{}: buffer {} holds {} bytes, needs {}", what, name, b.size, floats * 4));
}

status dispatch_parts(op_context& ctx, const device_linear& w, const std::string& shader, const std::vector<std::uint32_t>& spec,
                      const buffer_range& in, const buffer_range& out, linear_push base,
                      std::uint32_t (*groups)(const linear_part&, std::uint32_t n_tokens, std::uint32_t* gy)) {
  auto p = ctx.pipelines.get(shader, spec);
  if (!p) return p.error().with_context(w.what());
  for (const linear_part& part : w.parts()) {
    std::vector<buffer_range> buffers{in, out};
    buffers.insert(buffers.end(), part.arrays.begin(), part.arrays.end());
    auto set = ctx.arena.bind(**p, buffers);
    if (!set) return set.error().with_context(fmt::format("{} ({})", w.what(), shader));
    linear_push push = push_for(w, part);
    push.n_tokens = base.n_tokens;
    push.x_stride = base.x_stride;
    push.y_stride = base.y_stride;
    std::uint32_t gy = 1;
    const std::uint32_t gx = groups(part, base.n_tokens, &gy);
    ctx.stream.dispatch(**p, *set, push, gx, gy);
  }
  ctx.stream.barrier();
  return {};
}

std::uint32_t matvec_groups(const linear_part& part, std::uint32_t, std::uint32_t* gy) {
  const auto n = static_cast<std::uint32_t>((part.n_rows + k_matvec_rows - 1) / k_matvec_rows);
  const std::uint32_t gx = std::min(n, k_max_groups);
  *gy = (n + gx - 1) / gx;
  return gx;
}

std::uint32_t matmul_groups(const linear_part& part, std::uint32_t n_tokens, std::uint32_t* gy) {
  *gy = (n_tokens + k_matmul_tile - 1) / k_matmul_tile;
  return static_cast<std::uint32_t>((part.n_rows + k_matmul_tile - 1) / k_matmul_tile);
}

}  // namespace

status record_linear(op_context& ctx, const device_linear& w, const buffer_range& x, std::uint32_t x_stride, const buffer_range& y,
                     std::uint32_t y_stride, std::uint32_t n_tokens) {
  if (n_tokens == 0) return {};
  if (n_tokens > 1 && (x_stride < w.n_cols() || y_stride < w.n_rows()))
    return fail(status_code::invalid_argument, fmt::format("{}: strides x {} / y {} below the weight's {} columns / {} rows", w.what(),
                                                           x_stride, y_stride, w.n_cols(), w.n_rows()));
  if (status s = check_buffer(w.what(), "x", x, floats_needed(n_tokens, x_stride, w.n_cols())); !s.ok()) return s;
  if (status s = check_buffer(w.what(), "y", y, floats_needed(n_tokens, y_stride, w.n_rows())); !s.ok()) return s;
  if (n_tokens > k_max_groups * k_matmul_tile || w.n_rows() > std::int64_t{k_max_groups} * k_matmul_tile)
    return fail(status_code::out_of_range, fmt::format("{}: {} tokens x {} rows exceed one dispatch", w.what(), n_tokens, w.n_rows()));
  const linear_params& p = w.params();
  const bool matvec = n_tokens <= k_matvec_max_tokens;
  const std::string shader = fmt::format("{}_{}", matvec ? "matvec" : "matmul", shader_suffix(p.format));
  const std::uint32_t f16 = p.values_f16 ? 1u : 0u;
  const std::uint32_t x_aligned = x_stride % 4 == 0 || n_tokens == 1 ? 1u : 0u;  // activations as vec4
  const std::vector<std::uint32_t> spec = matvec
                                              ? std::vector<std::uint32_t>{k_workgroup, k_matvec_rows, n_tokens, p.format_param, f16, x_aligned}
                                              : std::vector<std::uint32_t>{k_workgroup, p.format_param, f16, x_aligned};
  linear_push base{};
  base.n_tokens = n_tokens;
  base.x_stride = x_stride;
  base.y_stride = y_stride;
  return dispatch_parts(ctx, w, shader, spec, x, y, base, matvec ? matvec_groups : matmul_groups);
}

status record_embedding(op_context& ctx, const device_linear& table, const buffer_range& tokens, std::uint32_t n_tokens,
                        const buffer_range& out, std::uint32_t out_stride) {
  if (n_tokens == 0) return {};
  if (n_tokens > k_max_groups) return fail(status_code::out_of_range, fmt::format("{}: {} tokens in one lookup", table.what(), n_tokens));
  if (n_tokens > 1 && out_stride < table.n_cols())
    return fail(status_code::invalid_argument, fmt::format("{}: output stride {} below {} columns", table.what(), out_stride, table.n_cols()));
  if (status s = check_buffer(table.what(), "tokens", tokens, n_tokens); !s.ok()) return s;
  if (status s = check_buffer(table.what(), "out", out, floats_needed(n_tokens, out_stride, table.n_cols())); !s.ok()) return s;
  const linear_params& p = table.params();
  const std::string shader = fmt::format("embed_{}", shader_suffix(p.format));
  const std::vector<std::uint32_t> spec{k_workgroup, p.format_param, p.values_f16 ? 1u : 0u};
  auto pipe = ctx.pipelines.get(shader, spec);
  if (!pipe) return pipe.error().with_context(table.what());
  const auto blocks = static_cast<std::uint32_t>((table.n_cols() + 7) / 8);
  for (const linear_part& part : table.parts()) {
    std::vector<buffer_range> buffers{tokens, out};
    buffers.insert(buffers.end(), part.arrays.begin(), part.arrays.end());
    auto set = ctx.arena.bind(**pipe, buffers);
    if (!set) return set.error().with_context(fmt::format("{} ({})", table.what(), shader));
    linear_push push = push_for(table, part);
    push.n_tokens = n_tokens;
    push.y_stride = out_stride;
    ctx.stream.dispatch(**pipe, *set, push, (blocks + k_workgroup - 1) / k_workgroup, n_tokens);
  }
  ctx.stream.barrier();
  return {};
}

}  // namespace kick::vk
