// Positions: rotary embedding of q/k rows and appending k/v rows to a layer's cache.
#include <fmt/format.h>

#include "ops.h"
#include "ops_recording.h"
#include "push/kv_store.h"
#include "push/rope.h"

namespace kick::vk {

using namespace ops_detail;

status record_rope(op_context& ctx, const buffer_range& rows, std::uint32_t n_tokens, std::uint32_t row_stride,
                   std::uint32_t n_heads, std::uint32_t head_dim, std::uint32_t pos0, const buffer_range& cos_table,
                   const buffer_range& sin_table, rope_layout layout) {
  constexpr std::string_view op = "rope";
  if (n_tokens == 0 || n_heads == 0) return status::success();
  if (head_dim == 0 || head_dim % 2 != 0) return invalid(op, fmt::format("head_dim {} is not a positive even number", head_dim));
  if (std::uint64_t{n_heads} * head_dim > row_stride) {
    return invalid(op, fmt::format("{} heads of {} do not fit a row stride of {}", n_heads, head_dim, row_stride));
  }
  if (layout != rope_layout::rotate_half && layout != rope_layout::interleaved) {
    return invalid(op, fmt::format("unknown rope layout {}", static_cast<std::uint32_t>(layout)));
  }
  const std::uint64_t half = head_dim / 2;
  auto br = words_of(ctx, op, "rows", rows, std::uint64_t{n_tokens - 1} * row_stride + std::uint64_t{n_heads} * head_dim);
  if (!br) return br.error();
  const std::uint64_t table = (std::uint64_t{pos0} + n_tokens) * half;  // up to position pos0 + n_tokens - 1
  auto bc = words_of(ctx, op, "cos table", cos_table, table);
  if (!bc) return bc.error();
  auto bs = words_of(ctx, op, "sin table", sin_table, table);
  if (!bs) return bs.error();
  const rope_push push{n_tokens, row_stride, n_heads, head_dim, pos0, static_cast<std::uint32_t>(layout)};
  return record_dispatch(ctx, op, "rope", k_elementwise_workgroup, {*br, *bc, *bs}, push,
                         stride_groups(ctx, std::uint64_t{n_tokens} * n_heads * half, k_elementwise_workgroup));
}

status record_kv_store(op_context& ctx, const buffer_range& k, const buffer_range& v, const buffer_range& cache_k,
                       const buffer_range& cache_v, std::uint32_t n_tokens, std::uint32_t n_kv_heads, std::uint32_t head_dim,
                       std::uint32_t n_ctx, std::uint32_t pos0) {
  constexpr std::string_view op = "kv_store";
  if (n_tokens == 0 || n_kv_heads == 0 || head_dim == 0) return status::success();
  if (std::uint64_t{pos0} + n_tokens > n_ctx) {
    return fail(status_code::out_of_range,
                fmt::format("{}: positions {}..{} beyond a cache of {} positions", op, pos0, std::uint64_t{pos0} + n_tokens - 1, n_ctx));
  }
  const std::uint64_t chunk = std::uint64_t{n_tokens} * n_kv_heads * head_dim;
  const std::uint64_t cache = std::uint64_t{n_kv_heads} * n_ctx * head_dim;
  auto bk = words_of(ctx, op, "k", k, chunk);
  if (!bk) return bk.error();
  auto bv = words_of(ctx, op, "v", v, chunk);
  if (!bv) return bv.error();
  auto bck = words_of(ctx, op, "cache_k", cache_k, cache);
  if (!bck) return bck.error();
  auto bcv = words_of(ctx, op, "cache_v", cache_v, cache);
  if (!bcv) return bcv.error();
  return record_dispatch(ctx, op, "kv_store", k_elementwise_workgroup, {*bk, *bv, *bck, *bcv},
                         kv_store_push{n_tokens, n_kv_heads, head_dim, n_ctx, pos0},
                         stride_groups(ctx, chunk, k_elementwise_workgroup));
}

}  // namespace kick::vk
