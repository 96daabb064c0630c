// Causal grouped-query attention over a layer's kv cache (shaders/attention.comp).
#include <fmt/format.h>

#include <cmath>

#include "ops.h"
#include "ops_recording.h"
#include "push/attention.h"

namespace kick::vk {

using namespace ops_detail;

status record_attention(op_context& ctx, const buffer_range& q, const buffer_range& cache_k, const buffer_range& cache_v,
                        const buffer_range& out, std::uint32_t n_tokens, std::uint32_t pos0, std::uint32_t n_heads,
                        std::uint32_t n_kv_heads, std::uint32_t head_dim, std::uint32_t n_ctx) {
  constexpr std::string_view op = "attention";
  if (n_tokens == 0 || n_heads == 0) return status::success();
  if (n_kv_heads == 0 || n_heads % n_kv_heads != 0) {
    return invalid(op, fmt::format("{} heads are not a multiple of {} kv heads", n_heads, n_kv_heads));
  }
  // The shader keeps 4 output dimensions per invocation and the query in shared memory.
  if (head_dim == 0 || head_dim > k_attention_max_head_dim || head_dim > 4 * k_attention_workgroup) {
    return invalid(op, fmt::format("head_dim {} is not in 1..{}", head_dim, k_attention_max_head_dim));
  }
  if (std::uint64_t{pos0} + n_tokens > n_ctx) {
    return fail(status_code::out_of_range, fmt::format("{}: positions {}..{} beyond a cache of {} positions", op, pos0,
                                                       std::uint64_t{pos0} + n_tokens - 1, n_ctx));
  }
  const std::uint32_t max_x = ctx.dev.caps().max_workgroup_count_x;
  if ((max_x != 0 && n_heads > max_x) || n_tokens > k_max_groups_yz) {
    return invalid(op, fmt::format("{} heads x {} tokens exceed the workgroup count limits", n_heads, n_tokens));
  }
  const std::uint64_t rows = std::uint64_t{n_tokens} * n_heads * head_dim;
  const std::uint64_t cache = std::uint64_t{n_kv_heads} * n_ctx * head_dim;
  auto bq = words_of(ctx, op, "q", q, rows);
  if (!bq) return bq.error();
  auto bk = words_of(ctx, op, "cache_k", cache_k, cache);
  if (!bk) return bk.error();
  auto bv = words_of(ctx, op, "cache_v", cache_v, cache);
  if (!bv) return bv.error();
  auto bo = words_of(ctx, op, "out", out, rows);
  if (!bo) return bo.error();
  // The CPU backend's scale: 1/sqrt(head_dim) in double, rounded to float.
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const attention_push push{n_tokens, pos0, n_heads, n_kv_heads, head_dim, n_ctx, scale};
  return record_dispatch(ctx, op, "attention", k_attention_workgroup, {*bq, *bk, *bv, *bo}, push, n_heads, n_tokens);
}

}  // namespace kick::vk
