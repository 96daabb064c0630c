// Row-wise reductions, one workgroup per token: RMS norm and the log-probability/argmax of logits.
#include <fmt/format.h>

#include "ops.h"
#include "ops_recording.h"
#include "push/logprob.h"
#include "push/rms_norm.h"

namespace kick::vk {

using namespace ops_detail;

namespace {
status check_rows(const op_context& ctx, std::string_view op, std::uint32_t n_tokens) {
  const std::uint32_t limit = ctx.dev.caps().max_workgroup_count_x;
  if (limit != 0 && n_tokens > limit) {
    return invalid(op, fmt::format("{} tokens exceed the device's {} workgroups per dispatch", n_tokens, limit));
  }
  return status::success();
}
}  // namespace

status record_rms_norm(op_context& ctx, const buffer_range& x, const buffer_range& weight, const buffer_range& out,
                       std::uint32_t n_tokens, std::uint32_t n, float eps) {
  constexpr std::string_view op = "rms_norm";
  if (n_tokens == 0) return status::success();
  if (n == 0) return invalid(op, "row width 0");
  if (status s = check_rows(ctx, op, n_tokens); !s.ok()) return s;
  const std::uint64_t n_rows = std::uint64_t{n_tokens} * n;
  auto bx = words_of(ctx, op, "x", x, n_rows);
  if (!bx) return bx.error();
  auto bw = words_of(ctx, op, "weight", weight, n);
  if (!bw) return bw.error();
  auto bo = words_of(ctx, op, "out", out, n_rows);
  if (!bo) return bo.error();
  return record_dispatch(ctx, op, "rms_norm", k_row_workgroup, {*bx, *bw, *bo}, rms_norm_push{n_tokens, n, eps}, n_tokens);
}

status record_logprob(op_context& ctx, const buffer_range& logits, const buffer_range& targets,
                      const buffer_range& out_logprob, const buffer_range& out_argmax, std::uint32_t n_tokens,
                      std::uint32_t n_vocab) {
  constexpr std::string_view op = "logprob";
  if (n_tokens == 0) return status::success();
  if (n_vocab == 0) return invalid(op, "vocabulary of 0 tokens");
  if (status s = check_rows(ctx, op, n_tokens); !s.ok()) return s;
  auto bl = words_of(ctx, op, "logits", logits, std::uint64_t{n_tokens} * n_vocab);
  if (!bl) return bl.error();
  auto bt = words_of(ctx, op, "targets", targets, n_tokens);
  if (!bt) return bt.error();
  auto bp = words_of(ctx, op, "out_logprob", out_logprob, n_tokens);
  if (!bp) return bp.error();
  auto ba = words_of(ctx, op, "out_argmax", out_argmax, n_tokens);
  if (!ba) return ba.error();
  return record_dispatch(ctx, op, "logprob", k_row_workgroup, {*bl, *bt, *bp, *ba}, logprob_push{n_tokens, n_vocab},
                         n_tokens);
}

}  // namespace kick::vk
