// AVX-512 VNNI kernel of int8-activation decode (group_quant_q8.h): per chunk of 64 code bytes, the
// fields of each byte are split by a shift and an AND and multiplied with the matching activation
// vectors by vpdpbusd (u8 x s8, 4 products per int32 lane); each lane's integer sum is scaled by its
// step's activation scale and its group's weight scale in f32. The zeros' term is one dot product
// over the row's groups per token.
#include "group_quant_q8.h"
#include "simd_x86.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

#define KICK_Q8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// Field k of 64 code bytes, as unsigned bytes.
template <int B>
KICK_Q8_TARGET inline __m512i field(__m512i v, int k) {
  if constexpr (B == 8) {
    return v;
  } else {
    const __m512i mask = _mm512_set1_epi8(static_cast<char>((1 << B) - 1));
    return _mm512_and_si512(k == 0 ? v : _mm512_srli_epi16(v, static_cast<unsigned>(B * k)), mask);
  }
}

template <int B, int NT>
KICK_Q8_TARGET void matvec_rows(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, float* y,
                                std::int64_t ldy) {
  constexpr int per = 8 / B;
  const q8_input_layout l = q8_input_layout::of(p);
  const std::int64_t full_chunks = p.bytes_per_row / k_q8_chunk_bytes;
  const std::int64_t tail_bytes = p.bytes_per_row - full_chunks * k_q8_chunk_bytes;
  const __mmask64 tail_mask = tail_bytes == 0 ? 0 : (~std::uint64_t{0} >> (64 - tail_bytes));
  const std::int8_t* xq[NT];
  const float* lane_scale[NT];
  const float* group_sum[NT];
  for (int t = 0; t < NT; ++t) {
    const std::byte* base = prepared + t * l.token_bytes();
    xq[t] = reinterpret_cast<const std::int8_t*>(base);
    lane_scale[t] = reinterpret_cast<const float*>(base + l.xq_bytes);
    group_sum[t] = reinterpret_cast<const float*>(base + l.xq_bytes + l.lane_scale_bytes);
  }
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint8_t* row = p.codes + r * p.bytes_per_row;
    const float* sw_row = p.scales + r * p.n_groups;
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    const auto chunk = [&](std::int64_t ch, __m512i v) KICK_Q8_TARGET {
      const __m512 sw = _mm512_permutexvar_ps(_mm512_loadu_si512(p.lane_offset + ch * k_q8_lanes),
                                              _mm512_maskz_loadu_ps(p.group_mask[ch], sw_row + p.chunk_group[ch]));
      __m512i f[per];
      for (int k = 0; k < per; ++k) f[k] = field<B>(v, k);
      for (int t = 0; t < NT; ++t) {
        const std::int8_t* xc = xq[t] + ch * per * k_q8_chunk_bytes;
        __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), f[0], _mm512_load_si512(xc));
        for (int k = 1; k < per; ++k) dot = _mm512_dpbusd_epi32(dot, f[k], _mm512_load_si512(xc + k * k_q8_chunk_bytes));
        const __m512 scaled = _mm512_mul_ps(_mm512_cvtepi32_ps(dot), _mm512_load_ps(lane_scale[t] + ch * k_q8_lanes));
        acc[t] = _mm512_fmadd_ps(scaled, sw, acc[t]);
      }
    };
    for (std::int64_t ch = 0; ch < full_chunks; ++ch) {
      _mm_prefetch(reinterpret_cast<const char*>(row + (ch + 8) * k_q8_chunk_bytes), _MM_HINT_T0);
      chunk(ch, _mm512_loadu_si512(row + ch * k_q8_chunk_bytes));
    }
    if (tail_bytes != 0) chunk(full_chunks, _mm512_maskz_loadu_epi8(tail_mask, row + full_chunks * k_q8_chunk_bytes));
    // The zeros' term: sum over groups of sw * zw * xsum, 16 groups at a time.
    const float* zw_row = p.zeros + r * p.n_groups;
    __m512 zero_term[NT];
    for (int t = 0; t < NT; ++t) zero_term[t] = _mm512_setzero_ps();
    for (std::int64_t g = 0; g < p.n_groups; g += 16) {
      const __mmask16 m = p.n_groups - g >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (p.n_groups - g)) - 1u);
      const __m512 swz = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, sw_row + g), _mm512_maskz_loadu_ps(m, zw_row + g));
      for (int t = 0; t < NT; ++t) zero_term[t] = _mm512_fmadd_ps(swz, _mm512_maskz_loadu_ps(m, group_sum[t] + g), zero_term[t]);
    }
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = simd::hsum16(acc[t]) - simd::hsum16(zero_term[t]);
  }
}

template <int B>
void matvec_any(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                std::int64_t ldy) {
  with_token_count<7>(n_tokens, [&]<int T>() { matvec_rows<B, T>(p, r0, r1, prepared, y, ldy); });
}

void matvec_vnni(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                 std::int64_t ldy) {
  switch (p.bits) {
    case 2: return matvec_any<2>(p, r0, r1, prepared, n_tokens, y, ldy);
    case 4: return matvec_any<4>(p, r0, r1, prepared, n_tokens, y, ldy);
    default: return matvec_any<8>(p, r0, r1, prepared, n_tokens, y, ldy);
  }
}

}  // namespace

q8_matvec_fn q8_matvec_avx512_vnni() {
  const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512vnni");
  return supported ? matvec_vnni : nullptr;
}

#else

q8_matvec_fn q8_matvec_avx512_vnni() { return nullptr; }

#endif

}  // namespace kick::cpu
