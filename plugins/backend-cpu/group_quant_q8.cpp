// int8-activation decode of group-quantized layers: the chunk tables, the activation
// quantization every kernel shares, and the portable kernel (the reference of the VNNI one).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "group_quant_q8.h"
#include "token_dispatch.h"

namespace kick::cpu {

bool q8_tables::build(int bits, std::int64_t n_cols, std::int64_t n_groups, const std::vector<std::int32_t>& step_group) {
  const std::int64_t per = 8 / bits, chunk_cols = k_q8_chunk_bytes * per, lane_cols = 4 * per;
  const std::int64_t n_chunks = (n_cols + chunk_cols - 1) / chunk_cols;
  chunk_group.assign(static_cast<std::size_t>(n_chunks), 0);
  lane_offset.assign(static_cast<std::size_t>(n_chunks * k_q8_lanes), 0);
  group_mask.assign(static_cast<std::size_t>(n_chunks), 0);
  for (std::int64_t ch = 0; ch < n_chunks; ++ch) {
    const std::int32_t g0 = step_group[static_cast<std::size_t>(ch * chunk_cols / k_q8_step_cols)];
    chunk_group[static_cast<std::size_t>(ch)] = g0;
    for (std::int64_t i = 0; i < k_q8_lanes; ++i) {
      const std::int64_t c = ch * chunk_cols + i * lane_cols;
      if (c >= n_cols) continue;  // past the row: its codes load as 0
      const std::int32_t offset = step_group[static_cast<std::size_t>(c / k_q8_step_cols)] - g0;
      if (offset < 0 || offset >= k_q8_lanes) return false;
      lane_offset[static_cast<std::size_t>(ch * k_q8_lanes + i)] = offset;
    }
    const std::int64_t valid = std::clamp<std::int64_t>(n_groups - g0, 0, k_q8_lanes);
    group_mask[static_cast<std::size_t>(ch)] = static_cast<std::uint16_t>((std::uint32_t{1} << valid) - 1u);
  }
  return true;
}

bool q8_tables::plan(q8_plan& p, int bits, std::int64_t n_rows, std::int64_t n_cols, std::int64_t n_groups,
                     const std::vector<std::int32_t>& step_group) {
  if (!build(bits, n_cols, n_groups, step_group)) return false;
  p.bits = bits;
  p.n_rows = n_rows;
  p.n_cols = n_cols;
  p.n_groups = n_groups;
  p.bytes_per_row = n_cols * bits / 8;
  p.n_chunks = (p.bytes_per_row + k_q8_chunk_bytes - 1) / k_q8_chunk_bytes;
  p.step_group = step_group.data();
  p.chunk_group = chunk_group.data();
  p.lane_offset = lane_offset.data();
  p.group_mask = group_mask.data();
  p.uniform_chunks = std::all_of(lane_offset.begin(), lane_offset.end(), [](std::int32_t o) { return o == 0; });
  return true;
}

namespace {

std::int64_t round_up_64(std::int64_t bytes) { return (bytes + 63) / 64 * 64; }

// Round half to even of |v| < 2^22 under the default rounding mode, branch-free and exact.
inline float round_even(float v) {
  constexpr float magic = 12582912.0f;  // 1.5 * 2^23
  return (v + magic) - magic;
}

}  // namespace

q8_input_layout q8_input_layout::of(const q8_plan& p) {
  q8_input_layout l;
  l.xq_bytes = p.n_chunks * k_q8_chunk_bytes * p.per();
  l.lane_scale_bytes = p.n_chunks * k_q8_lanes * static_cast<std::int64_t>(sizeof(float));
  l.group_sum_bytes = round_up_64(p.n_groups * static_cast<std::int64_t>(sizeof(float)));
  l.x_bytes = round_up_64(p.n_cols * static_cast<std::int64_t>(sizeof(float)));
  l.codes_bytes = round_up_64(p.n_cols);
  return l;
}

namespace {

// Column-order codes into the chunk order of q8_plan (per codes per byte).
template <int Per>
void interleave(const std::int8_t* q, std::int64_t n_cols, std::int8_t* xq) {
  constexpr std::int64_t chunk_cols = k_q8_chunk_bytes * Per;
  for (std::int64_t c0 = 0; c0 < n_cols; c0 += chunk_cols) {
    const std::int64_t n = std::min(chunk_cols, n_cols - c0);
    std::int8_t* out = xq + c0;  // a chunk's Per vectors of 64 are its chunk_cols bytes
    for (int k = 0; k < Per; ++k) {
      for (std::int64_t j = 0; j < k_q8_chunk_bytes; ++j) {
        const std::int64_t c = Per * j + k;
        out[k * k_q8_chunk_bytes + j] = c < n ? q[c0 + c] : 0;
      }
    }
  }
}

}  // namespace

void q8_prepare(const q8_plan& p, const float* x, std::int64_t n_tokens, std::byte* out) {
  const q8_input_layout l = q8_input_layout::of(p);
  const std::int64_t n = p.n_cols, per = p.per(), chunk_cols = p.chunk_cols(), lane_cols = 4 * per;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const auto [xq, lane_scale, group_sum, xk, q] = l.token(out, t);
    const float* xt = x + t * n;
    // x in kernel order.
    if (p.column_order != nullptr) {
      for (std::int64_t c = 0; c < n; ++c) xk[c] = xt[p.column_order[c]];
    } else {
      std::memcpy(xk, xt, static_cast<std::size_t>(n) * sizeof(float));
    }
    if (p.inv_input_scale != nullptr) {
#pragma omp simd
      for (std::int64_t c = 0; c < n; ++c) xk[c] *= p.inv_input_scale[c];
    }
    std::memset(lane_scale, 0, static_cast<std::size_t>(l.lane_scale_bytes));
    std::fill(group_sum, group_sum + p.n_groups, 0.0f);
    for (std::int64_t s = 0; s < n / k_q8_step_cols; ++s) {
      const float* v = xk + s * k_q8_step_cols;
      std::int8_t* qs = q + s * k_q8_step_cols;
      float amax = 0.0f;
#pragma omp simd reduction(max : amax)
      for (int i = 0; i < k_q8_step_cols; ++i) amax = std::max(amax, std::fabs(v[i]));
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f, scale = amax / 127.0f;
      std::int32_t sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int i = 0; i < k_q8_step_cols; ++i) {
        const auto code = static_cast<std::int32_t>(round_even(v[i] * inv));
        qs[i] = static_cast<std::int8_t>(code);
        sum += code;
      }
      for (std::int64_t c = s * k_q8_step_cols; c < (s + 1) * k_q8_step_cols; c += lane_cols) {
        lane_scale[c / chunk_cols * k_q8_lanes + c % chunk_cols / lane_cols] = scale;
      }
      group_sum[p.step_group[s]] += scale * static_cast<float>(sum);
    }
    switch (per) {
      case 1: std::memcpy(xq, q, static_cast<std::size_t>(n)), std::memset(xq + n, 0, static_cast<std::size_t>(l.xq_bytes - n)); break;
      case 2: interleave<2>(q, n, xq); break;
      default: interleave<4>(q, n, xq); break;
    }
  }
}

namespace {

template <int B, int NT>
void matvec_rows(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, float* y, std::int64_t ldy) {
  constexpr int per = 8 / B;
  constexpr std::uint32_t mask = (1u << B) - 1u;
  const q8_input_layout l = q8_input_layout::of(p);
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint8_t* row = p.codes + r * p.bytes_per_row;
    const float* sw = p.scales + r * p.n_groups;
    const float* zw = p.zeros + r * p.n_groups;
    for (int t = 0; t < NT; ++t) {
      const auto in = l.token(prepared, t);
      const std::int8_t* xq = in.xq;
      const float* lane_scale = in.lane_scale;
      const float* group_sum = in.group_sum;
      float acc = 0.0f;
      for (std::int64_t ch = 0; ch < p.n_chunks; ++ch) {
        const std::int64_t bytes = std::min(k_q8_chunk_bytes, p.bytes_per_row - ch * k_q8_chunk_bytes);
        const std::int8_t* xc = xq + ch * per * k_q8_chunk_bytes;
        for (std::int64_t lane = 0; lane * 4 < bytes; ++lane) {
          std::int32_t dot = 0;
          for (std::int64_t j = 4 * lane; j < 4 * lane + 4; ++j) {
            const std::uint32_t byte = row[ch * k_q8_chunk_bytes + j] ^ p.code_flip;
            for (int k = 0; k < per; ++k) dot += static_cast<std::int32_t>((byte >> (B * k)) & mask) * xc[k * k_q8_chunk_bytes + j];
          }
          const std::int64_t g = p.chunk_group[ch] + p.lane_offset[ch * k_q8_lanes + lane];
          acc += static_cast<float>(dot) * lane_scale[ch * k_q8_lanes + lane] * sw[g];
        }
      }
      float zero_term = 0.0f;
      for (std::int64_t g = 0; g < p.n_groups; ++g) zero_term += sw[g] * zw[g] * group_sum[g];
      y[t * ldy + r] = acc - zero_term;
    }
  }
}

void matvec_generic(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                    std::int64_t ldy) {
  with_code_bits(p.bits, [&]<int B>() {
    with_token_count<7>(n_tokens, [&]<int T>() { matvec_rows<B, T>(p, r0, r1, prepared, y, ldy); });
  });
}

}  // namespace

q8_matvec_fn q8_matvec_generic() { return matvec_generic; }

void q8_matvec_tokens(const q8_kernel& k, const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared,
                      std::int64_t n_tokens, float* y, std::int64_t ldy) {
  const std::int64_t token_bytes = q8_input_layout::of(p).token_bytes();
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += k_q8_max_tokens) {
    k.matvec(p, r0, r1, prepared + t0 * token_bytes, std::min(k_q8_max_tokens, n_tokens - t0), y + t0 * ldy, ldy);
  }
}

q8_kernel q8_kernel_for(std::string_view isa) {
  if (isa == "avx512f") {
    if (const q8_matvec_fn vnni = q8_matvec_avx512_vnni(); vnni != nullptr) return {vnni, "avx512-vnni"};
  }
  if (isa != "generic") {
    if (const q8_matvec_fn avx2 = q8_matvec_avx2(); avx2 != nullptr) return {avx2, "avx2"};
  }
  return {matvec_generic, "generic"};
}

}  // namespace kick::cpu
