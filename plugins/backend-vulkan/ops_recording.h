// What the record_* functions of ops_*.cpp share: checking a buffer argument and narrowing it to
// the part an op uses, and recording one dispatch of an embedded shader followed by a barrier.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "kick/status.h"
#include "vk_memory.h"
#include "vk_op_context.h"

namespace kick::vk::ops_detail {

// Workgroup sizes of the ops (specialization constant 0 of their shaders).
inline constexpr std::uint32_t k_elementwise_workgroup = 256;
inline constexpr std::uint32_t k_row_workgroup = 256;
inline constexpr std::uint32_t k_attention_workgroup = 64;

// The guaranteed minimum of maxComputeWorkGroupCount[1] and [2].
inline constexpr std::uint32_t k_max_groups_yz = 65535;

// `r` narrowed to its first 4 * n_words bytes; invalid_argument naming op and tensor when it is
// smaller, out_of_range when that part exceeds one storage-buffer binding of the device.
result<buffer_range> words_of(const op_context& ctx, std::string_view op, std::string_view tensor, const buffer_range& r,
                              std::uint64_t n_words);

// invalid_argument "<op>: <message>".
status invalid(std::string_view op, std::string_view message);

// Workgroups for a grid-stride loop over n items: ceil(n / per_group), clamped to the device's
// maximum workgroup count.
std::uint32_t stride_groups(const op_context& ctx, std::uint64_t n, std::uint32_t per_group);

// Gets the pipeline `shader`[workgroup], binds `buffers`, dispatches groups_x * groups_y
// workgroups with `push_bytes` of push constants and adds a barrier. Errors carry `op`.
status record_dispatch(op_context& ctx, std::string_view op, std::string_view shader, std::uint32_t workgroup,
                       std::initializer_list<buffer_range> buffers, const void* push, std::uint32_t push_bytes,
                       std::uint32_t groups_x, std::uint32_t groups_y = 1);

template <class Push>
status record_dispatch(op_context& ctx, std::string_view op, std::string_view shader, std::uint32_t workgroup,
                       std::initializer_list<buffer_range> buffers, const Push& push, std::uint32_t groups_x,
                       std::uint32_t groups_y = 1) {
  static_assert(sizeof(Push) <= 128, "push constants larger than 128 bytes");
  return record_dispatch(ctx, op, shader, workgroup, buffers, &push, sizeof(Push), groups_x, groups_y);
}

}  // namespace kick::vk::ops_detail
