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

// Rows r and r + 1 (R = 2) or r alone (R = 1): the activation vectors of a chunk are loaded once
// for both. Uniform: every chunk lies in one group (its scale is broadcast, no lane permute).
template <int B, int NT, int R, bool Uniform>
KICK_Q8_TARGET inline void rows(const q8_plan& p, std::int64_t r, const std::int8_t* const* xq, const float* const* lane_scale,
                                const float* const* group_sum, float* y, std::int64_t ldy) {
  constexpr int per = 8 / B;
  const std::int64_t full_chunks = p.bytes_per_row / k_q8_chunk_bytes;
  const std::int64_t tail_bytes = p.bytes_per_row - full_chunks * k_q8_chunk_bytes;
  const __mmask64 tail_mask = tail_bytes == 0 ? 0 : (~std::uint64_t{0} >> (64 - tail_bytes));
  const std::uint8_t* row[R];
  const float* sw_row[R];
  __m512 acc[R][NT];
  for (int i = 0; i < R; ++i) {
    row[i] = p.codes + (r + i) * p.bytes_per_row;
    sw_row[i] = p.scales + (r + i) * p.n_groups;
    for (int t = 0; t < NT; ++t) acc[i][t] = _mm512_setzero_ps();
  }
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(p.code_flip));  // bytes past a tail meet zero activations
  // Uniform: each group's zeros' term, sw * zw * xsum, is added where the group ends, so the loads of
  // the zeros spread along the row (gathered at its end they stalled it, one memory latency per row).
  float zero_sum[R][NT] = {};
  std::int32_t group = p.chunk_group[0];
  const auto end_group = [&]() {
    for (int i = 0; i < R; ++i) {
      const float swz = sw_row[i][group] * p.zeros[(r + i) * p.n_groups + group];
      for (int t = 0; t < NT; ++t) zero_sum[i][t] += swz * group_sum[t][group];
    }
  };
  const auto chunk = [&](std::int64_t ch, bool tail) KICK_Q8_TARGET {
    __m512i f[R][per];
    __m512 sw[R];
    if constexpr (Uniform) {
      if (p.chunk_group[ch] != group) {
        end_group();
        group = p.chunk_group[ch];
      }
    }
    for (int i = 0; i < R; ++i) {
      const std::uint8_t* at = row[i] + ch * k_q8_chunk_bytes;
      const __m512i v = _mm512_xor_si512(tail ? _mm512_maskz_loadu_epi8(tail_mask, at) : _mm512_loadu_si512(at), flip);
      for (int k = 0; k < per; ++k) f[i][k] = field<B>(v, k);
      if constexpr (Uniform) {
        sw[i] = _mm512_set1_ps(sw_row[i][p.chunk_group[ch]]);
      } else {
        sw[i] = _mm512_permutexvar_ps(_mm512_loadu_si512(p.lane_offset + ch * k_q8_lanes),
                                      _mm512_maskz_loadu_ps(p.group_mask[ch], sw_row[i] + p.chunk_group[ch]));
      }
    }
    for (int t = 0; t < NT; ++t) {
      const std::int8_t* xc = xq[t] + ch * per * k_q8_chunk_bytes;
      const __m512 ls = _mm512_load_ps(lane_scale[t] + ch * k_q8_lanes);
      __m512i dot[R];
      for (int i = 0; i < R; ++i) dot[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), f[i][0], _mm512_load_si512(xc));
      for (int k = 1; k < per; ++k) {
        const __m512i xk = _mm512_load_si512(xc + k * k_q8_chunk_bytes);
        for (int i = 0; i < R; ++i) dot[i] = _mm512_dpbusd_epi32(dot[i], f[i][k], xk);
      }
      for (int i = 0; i < R; ++i) acc[i][t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dot[i]), ls), sw[i], acc[i][t]);
    }
  };
  // Each row fetches the same chunk of a row at least simd::k_prefetch_bytes of codes ahead in the
  // rows this pass reads next (R rows per pass: that distance past a long row would land in the row
  // beside it, which is being read already).
  const std::int64_t pass_bytes = R * p.bytes_per_row;
  const std::int64_t ahead = (simd::k_prefetch_bytes + pass_bytes - 1) / pass_bytes * pass_bytes;
  for (std::int64_t ch = 0; ch < full_chunks; ++ch) {
    for (int i = 0; i < R; ++i) _mm_prefetch(reinterpret_cast<const char*>(row[i] + ch * k_q8_chunk_bytes + ahead), _MM_HINT_T0);
    chunk(ch, false);
  }
  if (tail_bytes != 0) chunk(full_chunks, true);
  if constexpr (Uniform) {
    end_group();
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < NT; ++t) y[t * ldy + r + i] = simd::hsum16(acc[i][t]) - zero_sum[i][t];
    return;
  }
  // Otherwise the zeros' term: sum over groups of sw * zw * xsum, 16 groups at a time.
  for (int i = 0; i < R; ++i) {
    const float* zw_row = p.zeros + (r + i) * p.n_groups;
    __m512 zero_term[NT];
    for (int t = 0; t < NT; ++t) zero_term[t] = _mm512_setzero_ps();
    for (std::int64_t g = 0; g < p.n_groups; g += 16) {
      const __mmask16 m = p.n_groups - g >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (p.n_groups - g)) - 1u);
      const __m512 swz = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, sw_row[i] + g), _mm512_maskz_loadu_ps(m, zw_row + g));
      for (int t = 0; t < NT; ++t) zero_term[t] = _mm512_fmadd_ps(swz, _mm512_maskz_loadu_ps(m, group_sum[t] + g), zero_term[t]);
    }
    for (int t = 0; t < NT; ++t) y[t * ldy + r + i] = simd::hsum16(acc[i][t]) - simd::hsum16(zero_term[t]);
  }
}

template <int B, int NT, bool Uniform>
KICK_Q8_TARGET void matvec_rows(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, float* y,
                                std::int64_t ldy) {
  const q8_tokens<NT> in(p, prepared);
  // Decode (one token) reads one row at a time: one stream of codes per thread reads closer to the
  // memory's rate than two rows side by side (this 2-vCPU EPYC VM, 7B shapes, two A/B sessions
  // in the same minutes, medians of 3-4 runs per shape: int8 g128 1.52-1.81x -> 1.77-1.94x over
  // f16, int4 g128 2.83-3.47x -> 3.18-3.75x), and its arithmetic has room to spare (about 150
  // GFLOP/s per core with the codes in cache).
  // Products of 2-4 tokens keep two rows side by side, sharing each activation load (not
  // re-measured); the accumulators of more tokens would not fit the 32 vector registers.
  constexpr int R = NT >= 2 && NT <= 4 ? 2 : 1;
  std::int64_t r = r0;
  for (; r + R <= r1; r += R) rows<B, NT, R, Uniform>(p, r, in.xq, in.lane_scale, in.group_sum, y, ldy);
  for (; r < r1; ++r) rows<B, NT, 1, Uniform>(p, r, in.xq, in.lane_scale, in.group_sum, y, ldy);
}

void matvec_vnni(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                 std::int64_t ldy) {
  with_code_bits(p.bits, [&]<int B>() {
    with_token_count<7>(n_tokens, [&]<int T>() {
      if (p.uniform_chunks) {
        matvec_rows<B, T, true>(p, r0, r1, prepared, y, ldy);
      } else {
        matvec_rows<B, T, false>(p, r0, r1, prepared, y, ldy);
      }
    });
  });
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
