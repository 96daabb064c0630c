#include "method_params.h"

#include <charconv>
#include <cmath>

#include "kick/format_codec.h"

namespace kick::methods {

result<sparsity_pattern> parse_pattern(const std::string& text) {
  if (text == "unstructured") return sparsity_pattern{};
  const auto colon = text.find(':');
  auto bad = [&] {
    return fail(status_code::invalid_argument,
                detail::format("pattern '{}' is not \"unstructured\" or N:M with 1 <= N < M <= 64 (e.g. 2:4)", text));
  };
  if (colon == std::string::npos) return bad();
  int n = 0, m = 0;
  const char* begin = text.data();
  const char* mid = begin + colon;
  const char* end = begin + text.size();
  auto rn = std::from_chars(begin, mid, n);
  auto rm = std::from_chars(mid + 1, end, m);
  if (rn.ec != std::errc{} || rn.ptr != mid || rm.ec != std::errc{} || rm.ptr != end) return bad();
  if (n < 1 || m > 64 || n >= m) return bad();
  return sparsity_pattern{true, n, m};
}

result<double> sparsity_param(const param_map& params) {
  auto s = params.get_float("sparsity");
  if (!s) return std::unexpected(s.error());
  if (!(*s >= 0.0 && *s < 1.0))
    return fail(status_code::invalid_argument, detail::format("sparsity {} outside [0, 1)", *s));
  return *s;
}

result<std::int32_t> bits_param(const param_map& params, bool allow_16) {
  auto b = params.get_int("bits");
  if (!b) return std::unexpected(b.error());
  if ((*b >= 2 && *b <= 8) || (allow_16 && *b == 16)) return static_cast<std::int32_t>(*b);
  return fail(status_code::invalid_argument,
              detail::format("bits {} outside 2..8{}", *b, allow_16 ? " (or 16 for no quantization)" : ""));
}

result<std::int64_t> group_size_param(const param_map& params) {
  auto g = params.get_int("group_size");
  if (!g) return std::unexpected(g.error());
  if (*g == -1 || *g > 0) return *g;
  return fail(status_code::invalid_argument, detail::format("group_size {} is neither -1 (one group per row) nor positive", *g));
}

result<std::int64_t> blocksize_param(const param_map& params) {
  auto b = params.get_int("blocksize");
  if (!b) return std::unexpected(b.error());
  if (*b >= 1 && *b <= (1 << 20)) return *b;
  return fail(status_code::invalid_argument, detail::format("blocksize {} outside [1, 1048576]", *b));
}

result<double> percdamp_param(const param_map& params) {
  auto p = params.get_float("percdamp");
  if (!p) return std::unexpected(p.error());
  if (std::isfinite(*p) && *p >= 0.0 && *p <= 1e6) return *p;
  return fail(status_code::invalid_argument, detail::format("percdamp {} outside [0, 1e6]", *p));
}

status check_group_divides(std::int64_t group_size, std::int64_t n_cols) {
  if (group_size == -1 || (group_size > 0 && n_cols % group_size == 0)) return {};
  return fail(status_code::invalid_argument,
              detail::format("group_size {} does not divide the layer's {} input columns", group_size, n_cols));
}

}  // namespace kick::methods
