// Decode with int8 activations (the cpu backend's `activations = "int8"`): 2-, 4- and 8-bit
// group-quantized layers (and int8 + outlier layers, as one 8-bit group per row, code_flip below)
// multiply their codes, unsigned bytes, with activations quantized to int8 per 32 columns in
// integer dot products (AVX-512 VNNI: vpdpbusd, 64 code bytes x 64 activations per instruction;
// AVX2: vpmaddubsw), then apply each group's scale and zero and each step's activation scale in f32.
//
// Columns are in kernel order (act-order layers: sorted by group; AWQ: x divided by input_scale
// first). Step s = columns [32 s, 32 s + 32), all in one group g(s):
//   a_s = max |x| / 127 over the step, xq(c) = round-half-even(x(c) * 127 / max |x|) (0 for a zero step)
//   y_r = sum_s a_s * sw(r, g(s)) * sum_{c in s} q(r, c) xq(c)  -  sum_g sw(r, g) zw(r, g) xsum(g),
//   xsum(g) = sum over the steps s of g of a_s * sum_{c in s} xq(c).
// The only rounding beyond f32 arithmetic is xq's: relative to max |x| of a step, at most 1/254.
//
// Chunks: a row's codes in runs of 64 bytes = 64 * (8 / bits) columns ("per" = 8 / bits codes per
// byte); byte j of a chunk holds the chunk's columns per * j + k, k < per, in bits [bits k, bits k +
// bits). The prepared input holds per chunk `per` vectors of 64 int8: vector k, byte j =
// xq(per * j + k), so the codes of field k of 64 bytes meet their activations in place. Lane i of a
// chunk (bytes 4 i .. 4 i + 3, one int32 of the dot product) spans 4 * per columns of one step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kick::cpu {

constexpr std::int64_t k_q8_step_cols = 32;
constexpr std::int64_t k_q8_chunk_bytes = 64;
constexpr std::int64_t k_q8_lanes = 16;
constexpr std::int64_t k_q8_max_tokens = 7;  // tokens one q8_matvec_fn call takes

// What the kernels read of a layer (kernel order).
struct q8_plan {
  int bits = 4;                         // 2, 4 or 8
  std::int64_t n_rows = 0, n_cols = 0;  // n_cols a multiple of 32
  std::int64_t n_groups = 0;
  std::int64_t bytes_per_row = 0;       // n_cols * bits / 8
  std::int64_t n_chunks = 0;            // ceil(bytes_per_row / 64); the last may be partial
  const std::uint8_t* codes = nullptr;  // [n_rows, bytes_per_row]
  // XORed into every code byte before use: 0x80 reads signed int8 codes (int8 + outlier layers) as
  // q + 128, whose zero is then 128.
  std::uint8_t code_flip = 0;
  const float* scales = nullptr;        // [n_rows, n_groups]
  const float* zeros = nullptr;         // [n_rows, n_groups]
  const std::int32_t* step_group = nullptr;    // [n_cols / 32]
  const std::int32_t* chunk_group = nullptr;   // [n_chunks]: the group of the chunk's first column
  const std::int32_t* lane_offset = nullptr;   // [n_chunks * 16]: lane's group - chunk_group (< 16)
  const std::uint16_t* group_mask = nullptr;   // [n_chunks]: bit i set when chunk_group + i < n_groups
  bool uniform_chunks = false;                 // every lane_offset is 0: each chunk lies in one group
  const float* inv_input_scale = nullptr;      // [n_cols] or nullptr
  const std::int32_t* column_order = nullptr;  // [n_cols] or nullptr: layout column of kernel column c
  int per() const { return 8 / bits; }
  std::int64_t chunk_cols() const { return k_q8_chunk_bytes * per(); }
};

// The plan's chunk tables for `step_group`; false when a chunk's lanes span more than 16 groups
// (the kernels then cannot use this layer).
struct q8_tables {
  std::vector<std::int32_t> chunk_group, lane_offset;
  std::vector<std::uint16_t> group_mask;
  bool build(int bits, std::int64_t n_cols, std::int64_t n_groups, const std::vector<std::int32_t>& step_group);
  // Builds the tables and sets p's shape (bits, n_rows, n_cols, n_groups, bytes_per_row, n_chunks)
  // and chunk fields (step_group, chunk_group, lane_offset, group_mask, uniform_chunks), pointing
  // into these tables and `step_group`, which must outlive p; false where build refuses the layer.
  // The codes, scales, zeros and x transforms are the caller's.
  bool plan(q8_plan& p, int bits, std::int64_t n_rows, std::int64_t n_cols, std::int64_t n_groups,
            const std::vector<std::int32_t>& step_group);
};

// Offsets into one token's part of the prepared input (all 64-byte aligned when the buffer is).
struct q8_input_layout {
  std::int64_t xq_bytes = 0;          // n_chunks * 64 * per int8
  std::int64_t lane_scale_bytes = 0;  // n_chunks * 16 floats
  std::int64_t group_sum_bytes = 0;   // n_groups floats, rounded up to 64 bytes
  std::int64_t x_bytes = 0;           // n_cols floats: x in kernel order (kept: int8 + outlier layers read outlier columns from it)
  std::int64_t codes_bytes = 0;       // n_cols int8 (xq in column order, while quantizing)
  std::int64_t token_bytes() const { return xq_bytes + lane_scale_bytes + group_sum_bytes + x_bytes + codes_bytes; }
  static q8_input_layout of(const q8_plan& p);

  // The parts of token t's prepared input in `prepared` (const or not).
  template <class Byte>
  struct parts {
    using int8 = std::conditional_t<std::is_const_v<Byte>, const std::int8_t, std::int8_t>;
    using f32 = std::conditional_t<std::is_const_v<Byte>, const float, float>;
    int8* xq;          // the kernels' activations
    f32* lane_scale;   // per chunk lane
    f32* group_sum;    // per group
    f32* x;            // while preparing: x in kernel order
    int8* codes;       // while preparing: xq in column order
  };
  template <class Byte>
  parts<Byte> token(Byte* prepared, std::int64_t t) const {
    Byte* at = prepared + t * token_bytes();
    const auto next = [&](std::int64_t bytes) { return std::exchange(at, at + bytes); };
    return {reinterpret_cast<typename parts<Byte>::int8*>(next(xq_bytes)), reinterpret_cast<typename parts<Byte>::f32*>(next(lane_scale_bytes)),
            reinterpret_cast<typename parts<Byte>::f32*>(next(group_sum_bytes)), reinterpret_cast<typename parts<Byte>::f32*>(next(x_bytes)),
            reinterpret_cast<typename parts<Byte>::int8*>(next(codes_bytes))};
  }
};

// What the kernels read of NT tokens' prepared input: each token's activations, lane scales and
// group sums.
template <int NT>
struct q8_tokens {
  const std::int8_t* xq[NT];
  const float* lane_scale[NT];
  const float* group_sum[NT];
  q8_tokens(const q8_plan& p, const std::byte* prepared) {
    const q8_input_layout l = q8_input_layout::of(p);
    for (int t = 0; t < NT; ++t) {
      const auto parts = l.token(prepared, t);
      xq[t] = parts.xq;
      lane_scale[t] = parts.lane_scale;
      group_sum[t] = parts.group_sum;
    }
  }
};

// Calls f.template operator()<B>() with B = bits (2, 4 or 8): the kernels' code width as a
// compile-time constant.
template <class F>
inline void with_code_bits(int bits, F&& f) {
  switch (bits) {
    case 2: return f.template operator()<2>();
    case 4: return f.template operator()<4>();
    default: return f.template operator()<8>();
  }
}

// Prepares n_tokens rows of x (n_cols floats each) into `out` (n_tokens * token_bytes(), 64-byte
// aligned). Portable code shared by every kernel, so the quantized activations are identical.
void q8_prepare(const q8_plan& p, const float* x, std::int64_t n_tokens, std::byte* out);

// y[t * ldy + r] = the product above for r in [r0, r1), t < n_tokens (1..7), from prepared input.
using q8_matvec_fn = void (*)(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens,
                              float* y, std::int64_t ldy);

// Portable kernel (the reference), the AVX-512 VNNI one (nullptr when this CPU lacks
// AVX512F/BW/VNNI or the code was not compiled for x86-64) and the AVX2 one (vpmaddubsw; nullptr
// without AVX2 and FMA).
q8_matvec_fn q8_matvec_generic();
q8_matvec_fn q8_matvec_avx512_vnni();
q8_matvec_fn q8_matvec_avx2();

// The kernel a layer on kernel set `isa` ("avx512f", "avx2", "generic") runs, and its name for
// kernel_name(): VNNI on AVX-512 CPUs that have it, the AVX2 kernel on other x86 sets (AVX-512
// without VNNI included), the portable one for "generic".
struct q8_kernel {
  q8_matvec_fn matvec = nullptr;
  const char* name = "";
};
q8_kernel q8_kernel_for(std::string_view isa);

// y[t * ldy + r] for r in [r0, r1) and any n_tokens: k's kernel over the prepared input, up to 7
// tokens a call.
void q8_matvec_tokens(const q8_kernel& k, const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared,
                      std::int64_t n_tokens, float* y, std::int64_t ldy);

}  // namespace kick::cpu
