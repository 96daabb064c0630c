// N:M sparse kernels for AVX-512 and AVX2 (see sparse::nm_rows). Every 32 columns of a row hold
// 16 values; their columns are decoded into one register of lane indices (a broadcast of the
// block's index word, a per-lane shift, mask and group base), and each token's activations are
// gathered by a permute of its 32 columns (AVX-512: one vpermt2ps; AVX2: two vpermps and a blend
// per 16 columns) and multiplied with the values. A block is decoded once for all tokens.
#include <cstring>

#include "sparse_kernels.h"
#include "simd_x86.h"

namespace kick::cpu::sparse {

#if KICK_SIMD_X86

namespace {

using simd::hsum16;
using simd::hsum8;

#define KICK_AVX512 __attribute__((target("avx512f,avx2,fma,f16c,popcnt")))
#define KICK_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))

using matvec_t = void (*)(const nm_rows&, std::int64_t, std::int64_t, const float*, float*, std::int64_t);

// The index word of a block: 2 * Bits bytes.
template <int Bits>
inline std::uint64_t load_word(const std::uint8_t* p) {
  if constexpr (Bits == 4) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  } else if constexpr (Bits == 2) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  } else {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

using simd::k_prefetch_bytes;  // values are prefetched this far ahead

// ---- AVX-512 ------------------------------------------------------------------------------

// Lane k's column in the block: (field k & mask) | base k.
template <int Bits>
KICK_AVX512 inline __m512i columns16(const std::uint8_t* word, __m512i shift, __m512i base) {
  const std::uint64_t w = load_word<Bits>(word);
  const __m512i wide = Bits == 4 ? _mm512_set1_epi64(static_cast<long long>(w)) : _mm512_set1_epi32(static_cast<int>(w));
  return _mm512_ternarylogic_epi32(_mm512_srlv_epi32(wide, shift), _mm512_set1_epi32((1 << Bits) - 1), base, 0xEA);
}

template <bool F16>
KICK_AVX512 inline __m512 values16(const void* values, std::int64_t i) {
  if constexpr (F16) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const std::uint16_t*>(values) + i)));
  } else {
    return _mm512_loadu_ps(static_cast<const float*>(values) + i);
  }
}

template <int Bits, bool F16, int T>
KICK_AVX512 inline void block_avx512(const nm_rows& w, const std::uint8_t* fields, std::int64_t v0, std::int64_t b, const float* x,
                                     __m512i shift, __m512i base, __m512 (&acc)[T]) {
  const __m512i column = columns16<Bits>(fields + b * 2 * Bits, shift, base);
  const __m512 v = values16<F16>(w.values, v0 + 16 * b);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    const float* xb = x + t * w.n_cols + 32 * b;
    acc[t] = _mm512_fmadd_ps(v, _mm512_permutex2var_ps(_mm512_loadu_ps(xb), column, _mm512_loadu_ps(xb + 16)), acc[t]);
  }
}

struct avx512 {
  // Two blocks per iteration into separate accumulators when there are few tokens, so that
  // consecutive FMAs of one token do not wait on each other.
  template <int Bits, bool F16, int T>
  KICK_AVX512 static void matvec(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
    constexpr int A = T <= 4 ? 2 : 1;
    const std::int64_t n_blocks = w.n_cols / 32;
    const __m512i shift = _mm512_loadu_si512(w.lane_shift);
    const __m512i base = _mm512_loadu_si512(w.lane_base);
    constexpr std::int64_t value_bytes = F16 ? 2 : 4;
    constexpr std::int64_t blocks_ahead = k_prefetch_bytes / (16 * value_bytes);
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::uint8_t* fields = w.fields + r * w.field_bytes_per_row;
      const std::int64_t v0 = r * w.values_per_row();
      __m512 acc[A][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[0][t] = _mm512_setzero_ps();
        acc[A - 1][t] = _mm512_setzero_ps();
      }
      std::int64_t b = 0;
      for (; b + 2 <= n_blocks; b += 2) {
        // Two blocks' values (64 bytes of f16, 128 of f32) and their index fields, as far ahead in
        // blocks as k_prefetch_bytes is in values.
        const char* values_at = static_cast<const char*>(w.values) + (v0 + 16 * b) * value_bytes;
        _mm_prefetch(values_at + k_prefetch_bytes, _MM_HINT_T0);
        if constexpr (!F16) _mm_prefetch(values_at + k_prefetch_bytes + 64, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(fields + (b + blocks_ahead) * 2 * Bits), _MM_HINT_T0);
        block_avx512<Bits, F16, T>(w, fields, v0, b, x, shift, base, acc[0]);
        block_avx512<Bits, F16, T>(w, fields, v0, b + 1, x, shift, base, acc[A - 1]);
      }
      if (b < n_blocks) block_avx512<Bits, F16, T>(w, fields, v0, b, x, shift, base, acc[0]);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 sum = A == 2 ? _mm512_add_ps(acc[0][t], acc[A - 1][t]) : acc[0][t];
        y[t * ldy + r] = hsum16(sum) + w.tail_dot(r, x + t * w.n_cols);
      }
    }
  }
};

// OR of the 16 lanes.
KICK_AVX512 inline std::uint32_t or_lanes(__m512i v) {
  const __m256i a = _mm256_or_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  __m128i b = _mm_or_si128(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  b = _mm_or_si128(b, _mm_shuffle_epi32(b, _MM_SHUFFLE(1, 0, 3, 2)));
  b = _mm_or_si128(b, _mm_shuffle_epi32(b, _MM_SHUFFLE(2, 3, 0, 1)));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(b));
}

// Lanes 0-7 fall in the block's first 16 columns and 8-15 in the second (16 is a multiple of m),
// in ascending column order: each half expands its 8 values by the mask of their columns.
template <int Bits, bool F16>
KICK_AVX512 void decode_avx512(const nm_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t n_blocks = w.n_cols / 32;
  const __m512i shift = _mm512_loadu_si512(w.lane_shift);
  const __m512i base = _mm512_loadu_si512(w.lane_base);
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint8_t* fields = w.fields + r * w.field_bytes_per_row;
    float* row = out + (r - r0) * w.n_cols;
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      const __m512i column = columns16<Bits>(fields + b * 2 * Bits, shift, base);
      const __m512 v = values16<F16>(w.values, r * w.values_per_row() + 16 * b);
      const std::uint32_t mask = or_lanes(_mm512_sllv_epi32(_mm512_set1_epi32(1), column));
      _mm512_storeu_ps(row + 32 * b, _mm512_maskz_expand_ps(static_cast<__mmask16>(mask & 0xffffu), v));
      _mm512_storeu_ps(row + 32 * b + 16,
                       _mm512_maskz_expand_ps(static_cast<__mmask16>(mask >> 16), _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(3, 2, 3, 2))));
    }
    const std::int64_t tail = w.n_cols - 32 * n_blocks;
    std::memset(row + 32 * n_blocks, 0, static_cast<std::size_t>(tail) * sizeof(float));
    for (int k = 0; k < tail / 2; ++k) row[32 * n_blocks + w.column(r, n_blocks, k)] = w.value(r, 16 * n_blocks + k);
  }
}

// ---- AVX-512, 2:4, two rows at a time (2-7 tokens; see pairs_any) -------------------------
// Rows r and r + 1 are read where they are (nm_rows, row-major) and multiplied together, 16
// columns (4 groups) per register: a 128-bit lane of activations holds one group of 4 columns and
// its 4 weight lanes are [row r value 0, row r + 1 value 0, row r value 1, row r + 1 value 1] of
// that group, so an in-lane vpermilps (which reads only bits 0-1 of each index lane) gathers the
// activations, and each 16 activations are loaded once for both rows. Per 32-column block: the
// two rows' 16 values are interleaved by one vpermt2ps per 16 columns, and their index words are
// broadcast as one 64-bit word (even lanes: row r's word, odd lanes: row r + 1's) shifted per lane.

// Lanes 4g + 2j + h of 16 columns: value 2g + j of row h (table + 8 for the block's second 16).
KICK_AVX512 inline __m512i pair_value_order(int half) {
  return _mm512_add_epi32(_mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), _mm512_set1_epi32(8 * half));
}
// Their index fields' bit positions in the row's 32-bit block word.
KICK_AVX512 inline __m512i pair_index_shift(int half) {
  return _mm512_add_epi32(_mm512_setr_epi32(0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14), _mm512_set1_epi32(16 * half));
}

template <bool F16, int T>
KICK_AVX512 inline void pair_block(const nm_rows& w, const std::uint8_t* fa, const std::uint8_t* fb, std::int64_t va, std::int64_t vb,
                                   std::int64_t b, const float* x, const __m512i (&order)[2], const __m512i (&shift)[2],
                                   __m512 (&acc)[2][T]) {
  std::uint32_t wa, wb;
  std::memcpy(&wa, fa + 4 * b, sizeof wa);
  std::memcpy(&wb, fb + 4 * b, sizeof wb);
  const __m512i words = _mm512_set1_epi64(static_cast<long long>(static_cast<std::uint64_t>(wb) << 32 | wa));
  const __m512 a = values16<F16>(w.values, va + 16 * b), bv = values16<F16>(w.values, vb + 16 * b);
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    const __m512i index = _mm512_srlv_epi32(words, shift[h]);
    const __m512 v = _mm512_permutex2var_ps(a, order[h], bv);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t)
      acc[h][t] = _mm512_fmadd_ps(v, _mm512_permutevar_ps(_mm512_loadu_ps(x + t * w.n_cols + 32 * b + 16 * h), index), acc[h][t]);
  }
}

struct avx512_pairs {
  template <int Bits, bool F16, int T>
  KICK_AVX512 static void matvec(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
    static_assert(Bits == 2);
    const std::int64_t n_blocks = w.n_cols / 32;
    const __m512i order[2] = {pair_value_order(0), pair_value_order(1)};
    const __m512i shift[2] = {pair_index_shift(0), pair_index_shift(1)};
    constexpr std::int64_t value_bytes = F16 ? 2 : 4;
    constexpr std::int64_t blocks_ahead = k_prefetch_bytes / (16 * value_bytes);
    // Prefetch k_prefetch_bytes on in each row's stream of pairs: a fetch that would pass its row's end
    // goes to the same place in the next pair's row (two rows on, not into the other row of this
    // pair, which is being read already). `skip` whole rows are added: `rows_short` until the row
    // position reaches `switch_at`, one more after. (Fetching past the row's end instead left the
    // second row of every pair unfetched: 4096x11008 read 1.2x faster than f16 instead of 1.9x.)
    const std::int64_t row_bytes = w.values_per_row() * value_bytes;
    const std::int64_t rows_short = k_prefetch_bytes / row_bytes, switch_at = row_bytes - k_prefetch_bytes % row_bytes;
    for (std::int64_t ra = r0; ra < r1; ra += 2) {
      const std::int64_t rb = ra + 1 < r1 ? ra + 1 : ra;  // an odd last row is multiplied twice, stored once
      const std::uint8_t* fa = w.fields + ra * w.field_bytes_per_row;
      const std::uint8_t* fb = w.fields + rb * w.field_bytes_per_row;
      const std::int64_t va = ra * w.values_per_row(), vb = rb * w.values_per_row();
      __m512 acc[2][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[0][t] = acc[1][t] = _mm512_setzero_ps();
      std::int64_t b = 0;
      for (; b + 2 <= n_blocks; b += 2) {
        // Both rows' next two blocks of values (64 bytes of f16 each, 128 of f32) and index words.
        const std::int64_t at = 16 * b * value_bytes;
        const std::int64_t skip = at < switch_at ? rows_short : rows_short + 1;
        const char* a_at = static_cast<const char*>(w.values) + va * value_bytes + at + k_prefetch_bytes + skip * row_bytes;
        const char* b_at = a_at + (vb - va) * value_bytes;
        _mm_prefetch(a_at, _MM_HINT_T0);
        _mm_prefetch(b_at, _MM_HINT_T0);
        if constexpr (!F16) {
          _mm_prefetch(a_at + 64, _MM_HINT_T0);
          _mm_prefetch(b_at + 64, _MM_HINT_T0);
        }
        if (b % 16 == 0) {
          const std::int64_t field_at = (b + blocks_ahead) * 4 + skip * w.field_bytes_per_row;
          _mm_prefetch(reinterpret_cast<const char*>(fa + field_at), _MM_HINT_T0);
          _mm_prefetch(reinterpret_cast<const char*>(fb + field_at), _MM_HINT_T0);
        }
        pair_block<F16, T>(w, fa, fb, va, vb, b, x, order, shift, acc);
        pair_block<F16, T>(w, fa, fb, va, vb, b + 1, x, order, shift, acc);
      }
      if (b < n_blocks) pair_block<F16, T>(w, fa, fb, va, vb, b, x, order, shift, acc);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 s = _mm512_add_ps(acc[0][t], acc[1][t]);
        const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(s), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
        __m128 l = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // row a: lanes 0, 2; row b: 1, 3
        l = _mm_add_ps(l, _mm_movehl_ps(l, l));
        const float* xt = x + t * w.n_cols;
        y[t * ldy + ra] = _mm_cvtss_f32(l) + w.tail_dot(ra, xt);
        if (rb != ra) y[t * ldy + rb] = _mm_cvtss_f32(_mm_movehdup_ps(l)) + w.tail_dot(rb, xt);
      }
    }
  }
};

// ---- AVX2 ---------------------------------------------------------------------------------

// Columns (relative to the half: 0..15) of the 8 lanes of one half of a block.
template <int Bits>
KICK_AVX2 inline __m256i columns8(std::uint64_t word, __m256i shift, __m256i base) {
  const __m256i wide = Bits == 4 ? _mm256_set1_epi64x(static_cast<long long>(word)) : _mm256_set1_epi32(static_cast<int>(word));
  return _mm256_or_si256(_mm256_and_si256(_mm256_srlv_epi32(wide, shift), _mm256_set1_epi32((1 << Bits) - 1)), base);
}

template <bool F16>
KICK_AVX2 inline __m256 values8(const void* values, std::int64_t i) {
  if constexpr (F16) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const std::uint16_t*>(values) + i)));
  } else {
    return _mm256_loadu_ps(static_cast<const float*>(values) + i);
  }
}

// x16[column] per lane, column in [0, 16): bit 3 picks the register.
KICK_AVX2 inline __m256 select16(const float* x16, __m256i column) {
  const __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x16), column);
  const __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x16 + 8), column);
  return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(column, 28)));
}

struct avx2_halves {
  __m256i shift[2], base[2];
  KICK_AVX2 explicit avx2_halves(const nm_rows& w) {
    for (int h = 0; h < 2; ++h) {
      shift[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.lane_shift + 8 * h));
      base[h] = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.lane_base + 8 * h)), _mm256_set1_epi32(16 * h));
    }
  }
};

struct avx2 {
  // Few tokens: each half of a block has its own accumulators (independent FMA chains).
  template <int Bits, bool F16, int T>
  KICK_AVX2 static void matvec(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
    constexpr int A = T <= 3 ? 2 : 1;
    const std::int64_t n_blocks = w.n_cols / 32;
    const avx2_halves halves(w);
    constexpr std::int64_t value_bytes = F16 ? 2 : 4;
    constexpr std::int64_t blocks_ahead = k_prefetch_bytes / (16 * value_bytes);
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::uint8_t* fields = w.fields + r * w.field_bytes_per_row;
      const std::int64_t v0 = r * w.values_per_row();
      __m256 acc[A][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[0][t] = _mm256_setzero_ps();
        acc[A - 1][t] = _mm256_setzero_ps();
      }
      for (std::int64_t b = 0; b < n_blocks; ++b) {
        // As in the AVX-512 kernel: values and index fields k_prefetch_bytes of values ahead.
        _mm_prefetch(static_cast<const char*>(w.values) + (v0 + 16 * b) * value_bytes + k_prefetch_bytes, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(fields + (b + blocks_ahead) * 2 * Bits), _MM_HINT_T0);
        const std::uint64_t word = load_word<Bits>(fields + b * 2 * Bits);
        const __m256i c0 = columns8<Bits>(word, halves.shift[0], halves.base[0]);
        const __m256i c1 = columns8<Bits>(word, halves.shift[1], halves.base[1]);
        const __m256 v0v = values8<F16>(w.values, v0 + 16 * b);
        const __m256 v1v = values8<F16>(w.values, v0 + 16 * b + 8);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const float* xb = x + t * w.n_cols + 32 * b;
          acc[0][t] = _mm256_fmadd_ps(v0v, select16(xb, c0), acc[0][t]);
          acc[A - 1][t] = _mm256_fmadd_ps(v1v, select16(xb + 16, c1), acc[A - 1][t]);
        }
      }
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m256 sum = A == 2 ? _mm256_add_ps(acc[0][t], acc[A - 1][t]) : acc[0][t];
        y[t * ldy + r] = hsum8(sum) + w.tail_dot(r, x + t * w.n_cols);
      }
    }
  }
};

template <int Bits, bool F16>
KICK_AVX2 void decode_avx2(const nm_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t n_blocks = w.n_cols / 32;
  const avx2_halves halves(w);
  const __m256 zero = _mm256_setzero_ps();
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint8_t* fields = w.fields + r * w.field_bytes_per_row;
    float* row = out + (r - r0) * w.n_cols;
    for (std::int64_t b = 0; b < n_blocks; ++b) {
      alignas(32) std::int32_t column[16];
      alignas(32) float value[16];
      const std::uint64_t word = load_word<Bits>(fields + b * 2 * Bits);
      _mm256_store_si256(reinterpret_cast<__m256i*>(column), columns8<Bits>(word, halves.shift[0], halves.base[0]));
      _mm256_store_si256(reinterpret_cast<__m256i*>(column + 8), columns8<Bits>(word, halves.shift[1], halves.base[1]));
      _mm256_store_ps(value, values8<F16>(w.values, r * w.values_per_row() + 16 * b));
      _mm256_store_ps(value + 8, values8<F16>(w.values, r * w.values_per_row() + 16 * b + 8));
      float* block = row + 32 * b;
      for (int i = 0; i < 4; ++i) _mm256_storeu_ps(block + 8 * i, zero);
      for (int k = 0; k < 8; ++k) block[column[k]] = value[k];
      for (int k = 8; k < 16; ++k) block[16 + column[k]] = value[k];
    }
    const std::int64_t tail = w.n_cols - 32 * n_blocks;
    std::memset(row + 32 * n_blocks, 0, static_cast<std::size_t>(tail) * sizeof(float));
    for (int k = 0; k < tail / 2; ++k) row[32 * n_blocks + w.column(r, n_blocks, k)] = w.value(r, 16 * n_blocks + k);
  }
}

// ---- dispatch on (index bits, value type, tokens) ------------------------------------------

template <class Isa, int Bits, bool F16>
void matvec_tokens(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy) {
  static constexpr matvec_t by_tokens[k_max_tokens] = {
      &Isa::template matvec<Bits, F16, 1>, &Isa::template matvec<Bits, F16, 2>, &Isa::template matvec<Bits, F16, 3>,
      &Isa::template matvec<Bits, F16, 4>, &Isa::template matvec<Bits, F16, 5>, &Isa::template matvec<Bits, F16, 6>,
      &Isa::template matvec<Bits, F16, 7>};
  by_tokens[n_tokens - 1](w, r0, r1, x, y, ldy);
}

template <class Isa>
void matvec_any(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy) {
  if (n_tokens < 1 || n_tokens > k_max_tokens) return;
  const int key = w.field_bits * 2 + (w.f16 ? 1 : 0);
  switch (key) {
    case 2: return matvec_tokens<Isa, 1, false>(w, r0, r1, x, n_tokens, y, ldy);
    case 3: return matvec_tokens<Isa, 1, true>(w, r0, r1, x, n_tokens, y, ldy);
    case 4: return matvec_tokens<Isa, 2, false>(w, r0, r1, x, n_tokens, y, ldy);
    case 5: return matvec_tokens<Isa, 2, true>(w, r0, r1, x, n_tokens, y, ldy);
    case 8: return matvec_tokens<Isa, 4, false>(w, r0, r1, x, n_tokens, y, ldy);
    default: return matvec_tokens<Isa, 4, true>(w, r0, r1, x, n_tokens, y, ldy);
  }
}

// 2:4 (2-bit fields) only. One token reads one row at a time: one stream of values per thread
// reads closer to the memory's rate than the two rows of a pair side by side (this 2-vCPU EPYC VM,
// 7B shapes, 10 A/B runs in the same minutes, medians 4096x4096 / 11008x4096 / 4096x11008: pairs
// 1.75-1.79 / 1.58-1.61 / 1.69-1.71x over f16, one row 1.81-1.86 / 1.79-1.89 / 1.71-1.77x).
// 2-7 tokens take the pairs, whose activation permutes serve both rows (4 tokens at 4096x4096:
// 0.62-0.73 ms a product against 1.19-1.24 ms one row at a time).
void pairs_any(const nm_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy) {
  if (n_tokens < 1 || n_tokens > k_max_tokens || w.field_bits != 2) return;
  if (n_tokens == 1) return matvec_any<avx512>(w, r0, r1, x, n_tokens, y, ldy);
  if (w.f16) return matvec_tokens<avx512_pairs, 2, true>(w, r0, r1, x, n_tokens, y, ldy);
  matvec_tokens<avx512_pairs, 2, false>(w, r0, r1, x, n_tokens, y, ldy);
}

template <void (*D1)(const nm_rows&, std::int64_t, std::int64_t, float*), void (*D1h)(const nm_rows&, std::int64_t, std::int64_t, float*),
          void (*D2)(const nm_rows&, std::int64_t, std::int64_t, float*), void (*D2h)(const nm_rows&, std::int64_t, std::int64_t, float*),
          void (*D4)(const nm_rows&, std::int64_t, std::int64_t, float*), void (*D4h)(const nm_rows&, std::int64_t, std::int64_t, float*)>
void decode_any(const nm_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  if (w.field_bits == 1) return (w.f16 ? D1h : D1)(w, r0, r1, out);
  if (w.field_bits == 2) return (w.f16 ? D2h : D2)(w, r0, r1, out);
  return (w.f16 ? D4h : D4)(w, r0, r1, out);
}

bool has_popcnt_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
         __builtin_cpu_supports("popcnt");
}

}  // namespace

const nm_kernels* nm_avx512() {
  static const nm_kernels k{matvec_any<avx512>, decode_any<decode_avx512<1, false>, decode_avx512<1, true>, decode_avx512<2, false>,
                                                            decode_avx512<2, true>, decode_avx512<4, false>, decode_avx512<4, true>>};
  return has_popcnt_avx2() && __builtin_cpu_supports("avx512f") ? &k : nullptr;
}

const nm_kernels* nm_avx512_pairs() {
  static const nm_kernels k{pairs_any, decode_any<decode_avx512<1, false>, decode_avx512<1, true>, decode_avx512<2, false>,
                                                  decode_avx512<2, true>, decode_avx512<4, false>, decode_avx512<4, true>>};
  return has_popcnt_avx2() && __builtin_cpu_supports("avx512f") ? &k : nullptr;
}

const nm_kernels* nm_avx2() {
  static const nm_kernels k{matvec_any<avx2>, decode_any<decode_avx2<1, false>, decode_avx2<1, true>, decode_avx2<2, false>,
                                                          decode_avx2<2, true>, decode_avx2<4, false>, decode_avx2<4, true>>};
  return has_popcnt_avx2() ? &k : nullptr;
}

#else  // not x86-64

const nm_kernels* nm_avx512() { return nullptr; }

const nm_kernels* nm_avx2() { return nullptr; }
const nm_kernels* nm_avx512_pairs() { return nullptr; }

#endif

}  // namespace kick::cpu::sparse
