#include "ops_recording.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kick::vk::ops_detail {

result<buffer_range> words_of(const op_context& ctx, std::string_view op, std::string_view tensor, const buffer_range& r,
                              std::uint64_t n_words) {
  const std::uint64_t bytes = n_words * 4;
  if (r.buffer == VK_NULL_HANDLE || r.size < bytes) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: {} holds {} bytes, {} needed", op, tensor, r.buffer == VK_NULL_HANDLE ? 0 : r.size, bytes));
  }
  const std::uint64_t limit = ctx.dev.caps().max_storage_buffer_range;
  if (limit != 0 && bytes > limit) {
    return fail(status_code::out_of_range, fmt::format("{}: {} needs {} bytes in one binding, the device allows {} ({})", op,
                                                       tensor, bytes, limit, ctx.dev.caps().name));
  }
  buffer_range narrowed = r;
  narrowed.size = bytes;
  return narrowed;
}

status invalid(std::string_view op, std::string_view message) {
  return status(status_code::invalid_argument, fmt::format("{}: {}", op, message));
}

std::uint32_t stride_groups(const op_context& ctx, std::uint64_t n, std::uint32_t per_group) {
  const std::uint64_t groups = (n + per_group - 1) / per_group;
  const std::uint64_t limit = std::max<std::uint32_t>(ctx.dev.caps().max_workgroup_count_x, 1);
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(groups, 1, limit));
}

status record_dispatch(op_context& ctx, std::string_view op, std::string_view shader, std::uint32_t workgroup,
                       std::initializer_list<buffer_range> buffers, const void* push, std::uint32_t push_bytes,
                       std::uint32_t groups_x, std::uint32_t groups_y) {
  const std::uint32_t spec[] = {workgroup};
  auto p = ctx.pipelines.get(shader, spec);
  if (!p) return p.error().with_context(op);
  auto set = ctx.arena.bind(**p, std::vector<buffer_range>(buffers));
  if (!set) return set.error().with_context(op);
  ctx.stream.dispatch_raw(**p, *set, push, push_bytes, groups_x, groups_y, 1);
  ctx.stream.barrier();
  return status::success();
}

}  // namespace kick::vk::ops_detail
