// Element-wise ops: residual add, bias add, SwiGLU gating and the bandwidth copy.
#include <fmt/format.h>

#include "ops.h"
#include "ops_recording.h"
#include "push/add.h"
#include "push/add_bias.h"
#include "push/copy.h"
#include "push/swiglu.h"

namespace kick::vk {

using namespace ops_detail;

status record_add(op_context& ctx, const buffer_range& y, const buffer_range& x, std::uint32_t n_elements) {
  constexpr std::string_view op = "add";
  if (n_elements == 0) return status::success();
  auto by = words_of(ctx, op, "y", y, n_elements);
  if (!by) return by.error();
  auto bx = words_of(ctx, op, "x", x, n_elements);
  if (!bx) return bx.error();
  return record_dispatch(ctx, op, "add", k_elementwise_workgroup, {*bx, *by}, add_push{n_elements},
                         stride_groups(ctx, n_elements, k_elementwise_workgroup));
}

status record_add_bias(op_context& ctx, const buffer_range& y, const buffer_range& bias, std::uint32_t n_tokens,
                       std::uint32_t width) {
  constexpr std::string_view op = "add_bias";
  const std::uint64_t n = std::uint64_t{n_tokens} * width;
  if (n == 0) return status::success();
  auto by = words_of(ctx, op, "y", y, n);
  if (!by) return by.error();
  auto bb = words_of(ctx, op, "bias", bias, width);
  if (!bb) return bb.error();
  return record_dispatch(ctx, op, "add_bias", k_elementwise_workgroup, {*bb, *by}, add_bias_push{n_tokens, width},
                         stride_groups(ctx, n, k_elementwise_workgroup));
}

status record_swiglu(op_context& ctx, const buffer_range& gate, const buffer_range& up, std::uint32_t n_elements) {
  constexpr std::string_view op = "swiglu";
  if (n_elements == 0) return status::success();
  auto bg = words_of(ctx, op, "gate", gate, n_elements);
  if (!bg) return bg.error();
  auto bu = words_of(ctx, op, "up", up, n_elements);
  if (!bu) return bu.error();
  return record_dispatch(ctx, op, "swiglu", k_elementwise_workgroup, {*bg, *bu}, swiglu_push{n_elements},
                         stride_groups(ctx, n_elements, k_elementwise_workgroup));
}

status record_copy(op_context& ctx, const buffer_range& src, const buffer_range& dst, std::uint64_t n_floats) {
  constexpr std::string_view op = "copy";
  if (n_floats == 0) return status::success();
  if (n_floats > 0xffffffffu) return invalid(op, fmt::format("{} floats exceed the 32-bit element count", n_floats));
  auto bs = words_of(ctx, op, "src", src, n_floats);
  if (!bs) return bs.error();
  auto bd = words_of(ctx, op, "dst", dst, n_floats);
  if (!bd) return bd.error();
  // One loop iteration moves a vec4; the at most 3 tail floats go to the first invocations.
  return record_dispatch(ctx, op, "copy_bandwidth", k_elementwise_workgroup, {*bs, *bd},
                         copy_push{static_cast<std::uint32_t>(n_floats)},
                         stride_groups(ctx, n_floats / 4 + 1, k_elementwise_workgroup));
}

}  // namespace kick::vk
