// AVX2 kernel of int8-activation decode (group_quant_q8.h) for CPUs without AVX-512 VNNI: a chunk of
// 64 code bytes is two halves of 32 (lanes 0-7, 8-15); vpmaddubsw multiplies u8 codes by s8
// activations into pairs of int16 and vpmaddwd adds the pairs into int32 lanes. vpmaddubsw saturates
// at 32767, so only codes below 16 go through it directly (15 * 127 * 2 = 3810); 8-bit codes are split
// into their two nibbles, whose int32 sums are combined as lo + 16 * hi. It computes the same integer
// dot products as the VNNI and portable kernels.
#include <cstring>

#include "group_quant_q8.h"
#include "simd_x86.h"
#include "token_dispatch.h"

namespace kick::cpu {

#if KICK_SIMD_X86

namespace {

#define KICK_Q8_AVX2 __attribute__((target("avx2,fma")))

// Field k of 32 code bytes, as unsigned bytes.
template <int B>
KICK_Q8_AVX2 inline __m256i field(__m256i v, int k) {
  if constexpr (B == 8) {
    return v;
  } else {
    const __m256i mask = _mm256_set1_epi8(static_cast<char>((1 << B) - 1));
    return _mm256_and_si256(k == 0 ? v : _mm256_srli_epi16(v, B * k), mask);
  }
}

// dot + the int32 sums of 4 products of unsigned codes f (< 2^B) and signed activations x per lane.
template <int B>
KICK_Q8_AVX2 inline __m256i dot4(__m256i dot, __m256i f, __m256i x) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (B == 8) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(f, nibble), x);
    const __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(f, 4), nibble), x);
    dot = _mm256_add_epi32(dot, _mm256_madd_epi16(lo, ones));
    return _mm256_add_epi32(dot, _mm256_madd_epi16(hi, _mm256_set1_epi16(16)));
  } else {
    return _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(f, x), ones));
  }
}

// One row, NT tokens. The tail chunk's bytes past the row are read from a zeroed copy.
template <int B, int NT>
KICK_Q8_AVX2 inline void row_avx2(const q8_plan& p, std::int64_t r, const std::int8_t* const* xq, const float* const* lane_scale,
                                  const float* const* group_sum, float* y, std::int64_t ldy) {
  constexpr int per = 8 / B;
  const std::uint8_t* row = p.codes + r * p.bytes_per_row;
  const float* sw_row = p.scales + r * p.n_groups;
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  alignas(32) std::uint8_t tail[k_q8_chunk_bytes];
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(p.code_flip));  // bytes past a tail meet zero activations
  // Uniform chunks: each group's zeros' term, sw * zw * xsum, is added where the group ends (loads
  // of the zeros spread along the row, as in the VNNI kernel).
  const float* zw_row = p.zeros + r * p.n_groups;
  float zero_sum[NT] = {};
  std::int32_t group = p.chunk_group[0];
  const auto end_group = [&]() {
    for (int t = 0; t < NT; ++t) zero_sum[t] += sw_row[group] * zw_row[group] * group_sum[t][group];
  };
  for (std::int64_t ch = 0; ch < p.n_chunks; ++ch) {
    if (p.uniform_chunks && p.chunk_group[ch] != group) {
      end_group();
      group = p.chunk_group[ch];
    }
    const std::int64_t bytes = p.bytes_per_row - ch * k_q8_chunk_bytes;
    const std::uint8_t* at = row + ch * k_q8_chunk_bytes;
    if (bytes < k_q8_chunk_bytes) {
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, at, static_cast<std::size_t>(bytes));
      at = tail;
    } else {
      _mm_prefetch(reinterpret_cast<const char*>(at) + simd::k_prefetch_bytes, _MM_HINT_T0);
    }
    for (int h = 0; h < 2; ++h) {
      const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32 * h)), flip);
      __m256i f[per];
      for (int k = 0; k < per; ++k) f[k] = field<B>(v, k);
      const float* sw_chunk = sw_row + p.chunk_group[ch];
      const __m256 sw = p.uniform_chunks
                            ? _mm256_set1_ps(*sw_chunk)
                            : _mm256_i32gather_ps(sw_chunk, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.lane_offset + ch * k_q8_lanes + 8 * h)), 4);
      for (int t = 0; t < NT; ++t) {
        const std::int8_t* xc = xq[t] + ch * per * k_q8_chunk_bytes + 32 * h;
        __m256i dot = _mm256_setzero_si256();
        for (int k = 0; k < per; ++k) {
          const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(xc + k * k_q8_chunk_bytes));
          dot = dot4<B>(dot, f[k], x);
        }
        const __m256 ls = _mm256_load_ps(lane_scale[t] + ch * k_q8_lanes + 8 * h);
        acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dot), ls), sw, acc[t]);
      }
    }
  }
  if (p.uniform_chunks) {
    end_group();
    for (int t = 0; t < NT; ++t) y[t * ldy + r] = simd::hsum8(acc[t]) - zero_sum[t];
    return;
  }
  // Otherwise the zeros' term: sum over groups of sw * zw * xsum, 8 groups at a time.
  __m256 zero_term[NT];
  for (int t = 0; t < NT; ++t) zero_term[t] = _mm256_setzero_ps();
  for (std::int64_t g = 0; g < p.n_groups; g += 8) {
    const std::int64_t n = p.n_groups - g;
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 8 ? n : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 swz = _mm256_mul_ps(_mm256_maskload_ps(sw_row + g, m), _mm256_maskload_ps(zw_row + g, m));
    for (int t = 0; t < NT; ++t) zero_term[t] = _mm256_fmadd_ps(swz, _mm256_maskload_ps(group_sum[t] + g, m), zero_term[t]);
  }
  for (int t = 0; t < NT; ++t) y[t * ldy + r] = simd::hsum8(acc[t]) - simd::hsum8(zero_term[t]);
}

template <int B, int NT>
KICK_Q8_AVX2 void rows_avx2(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, float* y, std::int64_t ldy) {
  const q8_tokens<NT> in(p, prepared);
  for (std::int64_t r = r0; r < r1; ++r) row_avx2<B, NT>(p, r, in.xq, in.lane_scale, in.group_sum, y, ldy);
}

void matvec_avx2(const q8_plan& p, std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                 std::int64_t ldy) {
  with_code_bits(p.bits, [&]<int B>() {
    with_token_count<7>(n_tokens, [&]<int T>() { rows_avx2<B, T>(p, r0, r1, prepared, y, ldy); });
  });
}

}  // namespace

q8_matvec_fn q8_matvec_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? matvec_avx2 : nullptr;
}

#else

q8_matvec_fn q8_matvec_avx2() { return nullptr; }

#endif

}  // namespace kick::cpu
