// Bitmap sparse kernels for AVX-512 and AVX2 (see sparse::bitmap_rows). Each 16 (AVX-512) or 8
// (AVX2) columns take their bits of the row's bitmap as a lane mask and expand that many
// consecutive values into the set lanes by a permute, the unset lanes cleared, once for all
// tokens, then one FMA per token with the activations of those columns. The permute's indices
// are each lane's count of set bits below it (AVX-512: vpopcntd, so that set needs
// AVX512_VPOPCNTDQ; AVX2: a table of the 256 8-bit masks). vexpandps (register or memory form)
// and masked loads with holes measured 2.5-3.5x slower than this on the AMD EPYC here.
// A row's last columns (fewer than a register) run scalar.
#include <array>
#include <bit>
#include <cstring>

#include "sparse_kernels.h"
#include "simd_x86.h"

namespace kick::cpu::sparse {

#if KICK_SIMD_X86

namespace {

using simd::hsum16;
using simd::hsum8;

#define KICK_AVX512 __attribute__((target("avx512f,avx512vpopcntdq,avx2,fma,f16c,popcnt")))
#define KICK_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))

using matvec_t = void (*)(const bitmap_rows&, std::int64_t, std::int64_t, const float*, float*, std::int64_t);

// For each 8-bit mask, the packed value each lane takes: lane j, if its bit is set, takes value
// number popcount(mask & ((1 << j) - 1)).
constexpr std::array<std::uint64_t, 256> make_expand_table() {
  std::array<std::uint64_t, 256> table{};
  for (unsigned mask = 0; mask < 256; ++mask) {
    unsigned rank = 0;
    for (unsigned j = 0; j < 8; ++j) {
      if ((mask >> j) & 1u) table[mask] |= static_cast<std::uint64_t>(rank++) << (8 * j);
    }
  }
  return table;
}
constexpr std::array<std::uint64_t, 256> k_expand_table = make_expand_table();

// The layout's last `count` (< N) values, zero-padded to N, for a full-register load that must not
// read past the end of the values.
template <class T, int N>
struct last_values {
  alignas(64) T v[N] = {};
  last_values(const T* p, int count) { std::memcpy(v, p, static_cast<std::size_t>(count) * sizeof(T)); }
};

using simd::k_prefetch_bytes;

// Values [next, next + count) are about to be read: fetch the line k_prefetch_bytes past them;
// each row fetches the bitmap of the row 4 ahead.
template <bool F16>
inline void prefetch_values(const bitmap_rows& w, std::int64_t next) {
  _mm_prefetch(static_cast<const char*>(w.values) + next * (F16 ? 2 : 4) + k_prefetch_bytes, _MM_HINT_T0);
}
inline void prefetch_bitmap(const bitmap_rows& w, std::int64_t r) {
  const auto* first = reinterpret_cast<const char*>(w.bitmap + (r + 4) * w.words_per_row);
  for (std::int64_t b = 0; b < w.words_per_row * 8; b += 64) _mm_prefetch(first + b, _MM_HINT_T0);
}

// ---- AVX-512 ------------------------------------------------------------------------------

// The weights of 16 columns with bitmap bits `mask`; advances `next` past their values. Lane j
// takes packed value popcount(mask & ((1 << j) - 1)) (vpopcntd), the unset lanes are zeroed.
template <bool F16>
KICK_AVX512 inline __m512 expand16(const bitmap_rows& w, std::uint32_t mask, std::int64_t& next) {
  const int count = _mm_popcnt_u32(mask);
  __m512 packed;
  if constexpr (F16) {
    const auto* p = static_cast<const std::uint16_t*>(w.values) + next;
    if (next + 16 <= w.n_values) {
      packed = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    } else {
      const last_values<std::uint16_t, 16> last(p, count);
      packed = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(last.v)));
    }
  } else {
    const float* p = static_cast<const float*>(w.values) + next;
    // Near the layout's end only these columns' values are loaded.
    packed = next + 16 <= w.n_values ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), p);
  }
  next += count;
  const __m512i below = _mm512_setr_epi32(0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767);
  const __m512i rank = _mm512_popcnt_epi32(_mm512_and_si512(_mm512_set1_epi32(static_cast<int>(mask)), below));
  return _mm512_maskz_permutexvar_ps(static_cast<__mmask16>(mask), rank, packed);
}

KICK_AVX512 inline std::uint32_t mask16(const std::uint64_t* bits, std::int64_t chunk) {
  return static_cast<std::uint32_t>(bits[chunk >> 2] >> (16 * (chunk & 3))) & 0xffffu;
}

template <bool F16, int T>
KICK_AVX512 inline void chunk_avx512(const bitmap_rows& w, const std::uint64_t* bits, std::int64_t chunk, std::int64_t& next,
                                     const float* x, __m512 (&acc)[T]) {
  const __m512 v = expand16<F16>(w, mask16(bits, chunk), next);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(v, _mm512_loadu_ps(x + t * w.n_cols + 16 * chunk), acc[t]);
}

struct avx512 {
  template <bool F16, int T>
  KICK_AVX512 static void matvec(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
    constexpr int A = T <= 4 ? 2 : 1;
    const std::int64_t n_chunks = w.n_cols / 16;
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
      std::int64_t next = w.row_offsets[r];
      __m512 acc[A][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[0][t] = _mm512_setzero_ps();
        acc[A - 1][t] = _mm512_setzero_ps();
      }
      prefetch_bitmap(w, r);
      std::int64_t chunk = 0;
      for (; chunk + 2 <= n_chunks; chunk += 2) {
        prefetch_values<F16>(w, next);  // up to 32 values: 64 (f16) or 128 bytes
        if constexpr (!F16) prefetch_values<F16>(w, next + 16);
        chunk_avx512<F16, T>(w, bits, chunk, next, x, acc[0]);
        chunk_avx512<F16, T>(w, bits, chunk + 1, next, x, acc[A - 1]);
      }
      if (chunk < n_chunks) chunk_avx512<F16, T>(w, bits, chunk, next, x, acc[0]);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 sum = A == 2 ? _mm512_add_ps(acc[0][t], acc[A - 1][t]) : acc[0][t];
        y[t * ldy + r] = hsum16(sum) + w.tail_dot(r, 16 * n_chunks, next, x + t * w.n_cols);
      }
    }
  }
};

template <bool F16>
KICK_AVX512 void decode_avx512(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t n_chunks = w.n_cols / 16;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
    float* row = out + (r - r0) * w.n_cols;
    std::int64_t next = w.row_offsets[r];
    for (std::int64_t chunk = 0; chunk < n_chunks; ++chunk) _mm512_storeu_ps(row + 16 * chunk, expand16<F16>(w, mask16(bits, chunk), next));
    for (std::int64_t c = 16 * n_chunks; c < w.n_cols; ++c) row[c] = w.bit(r, c) ? w.value(next++) : 0.0f;
  }
}

// ---- AVX-512 with BW, VL and BITALG (f16 values) ------------------------------------------
// The same expansion done on the f16 values at half width: the ranks by vpopcntw of 16 words,
// the values placed by vpermw, then one conversion to f32. Values are prefetched ahead.

#define KICK_AVX512_BITALG __attribute__((target("avx512f,avx512bw,avx512vl,avx512bitalg,avx512vpopcntdq,avx2,fma,f16c,popcnt")))

// The 16-bit mask of chunk `chunk` of a row's bitmap (little-endian 64-bit words).
inline std::uint32_t mask_at(const std::uint64_t* bits, std::int64_t chunk) {
  std::uint16_t m;
  std::memcpy(&m, reinterpret_cast<const char*>(bits) + 2 * chunk, sizeof m);
  return m;
}

template <int T>
KICK_AVX512_BITALG inline void chunk_bitalg(const std::uint16_t* values, std::int64_t n_values, const std::uint64_t* bits,
                                           std::int64_t chunk, std::int64_t& next, const float* x, std::int64_t n_cols, __m512 (&acc)[T]) {
  const std::uint32_t mask = mask_at(bits, chunk);
  const __m256i below = _mm256_setr_epi16(0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383, 32767);
  const __m256i rank = _mm256_popcnt_epi16(_mm256_and_si256(_mm256_set1_epi16(static_cast<short>(mask)), below));
  // Near the layout's end only the chunk's own values are loaded (a masked load does not fault).
  const __m256i packed = next + 16 <= n_values ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(values + next))
                                               : _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << _mm_popcnt_u32(mask)) - 1u), values + next);
  const __m512 v = _mm512_cvtph_ps(_mm256_maskz_permutexvar_epi16(static_cast<__mmask16>(mask), rank, packed));
  next += _mm_popcnt_u32(mask);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(v, _mm512_loadu_ps(x + t * n_cols + 16 * chunk), acc[t]);
}

struct avx512_bitalg {
  template <bool F16, int T>
  KICK_AVX512_BITALG static void matvec(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y,
                                        std::int64_t ldy) {
    static_assert(F16);
    constexpr int A = T <= 4 ? 2 : 1;
    const std::int64_t n_chunks = w.n_cols / 16;
    const auto* values = static_cast<const std::uint16_t*>(w.values);
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
      std::int64_t next = w.row_offsets[r];
      __m512 acc[A][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[0][t] = _mm512_setzero_ps();
        acc[A - 1][t] = _mm512_setzero_ps();
      }
      std::int64_t chunk = 0;
      for (; chunk + 4 <= n_chunks; chunk += 4) {
        _mm_prefetch(reinterpret_cast<const char*>(values + next) + k_prefetch_bytes, _MM_HINT_T0);
        chunk_bitalg<T>(values, w.n_values, bits, chunk, next, x, w.n_cols, acc[0]);
        chunk_bitalg<T>(values, w.n_values, bits, chunk + 1, next, x, w.n_cols, acc[A - 1]);
        chunk_bitalg<T>(values, w.n_values, bits, chunk + 2, next, x, w.n_cols, acc[0]);
        chunk_bitalg<T>(values, w.n_values, bits, chunk + 3, next, x, w.n_cols, acc[A - 1]);
      }
      for (; chunk < n_chunks; ++chunk) chunk_bitalg<T>(values, w.n_values, bits, chunk, next, x, w.n_cols, acc[0]);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 sum = A == 2 ? _mm512_add_ps(acc[0][t], acc[A - 1][t]) : acc[0][t];
        y[t * ldy + r] = hsum16(sum) + w.tail_dot(r, 16 * n_chunks, next, x + t * w.n_cols);
      }
    }
  }
};

// ---- AVX2 ---------------------------------------------------------------------------------


template <bool F16>
KICK_AVX2 inline __m256 expand8(const bitmap_rows& w, std::uint32_t mask, std::int64_t& next) {
  const int count = _mm_popcnt_u32(mask);
  __m256 packed;
  if constexpr (F16) {
    const auto* p = static_cast<const std::uint16_t*>(w.values) + next;
    if (next + 8 <= w.n_values) {
      packed = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else {
      const last_values<std::uint16_t, 8> last(p, count);
      packed = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(last.v)));
    }
  } else {
    const float* p = static_cast<const float*>(w.values) + next;
    if (next + 8 <= w.n_values) {
      packed = _mm256_loadu_ps(p);
    } else {
      const last_values<float, 8> last(p, count);
      packed = _mm256_load_ps(last.v);
    }
  }
  next += count;
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(k_expand_table[mask])));
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(mask)), bit), bit);
  return _mm256_and_ps(_mm256_permutevar8x32_ps(packed, perm), _mm256_castsi256_ps(set));
}

KICK_AVX2 inline std::uint32_t mask8(const std::uint64_t* bits, std::int64_t chunk) {
  return static_cast<std::uint32_t>(bits[chunk >> 3] >> (8 * (chunk & 7))) & 0xffu;
}

template <bool F16, int T>
KICK_AVX2 inline void chunk_avx2(const bitmap_rows& w, const std::uint64_t* bits, std::int64_t chunk, std::int64_t& next, const float* x,
                                 __m256 (&acc)[T]) {
  const __m256 v = expand8<F16>(w, mask8(bits, chunk), next);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + t * w.n_cols + 8 * chunk), acc[t]);
}

struct avx2 {
  template <bool F16, int T>
  KICK_AVX2 static void matvec(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, float* y, std::int64_t ldy) {
    constexpr int A = T <= 3 ? 2 : 1;
    const std::int64_t n_chunks = w.n_cols / 8;
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
      std::int64_t next = w.row_offsets[r];
      __m256 acc[A][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[0][t] = _mm256_setzero_ps();
        acc[A - 1][t] = _mm256_setzero_ps();
      }
      prefetch_bitmap(w, r);
      std::int64_t chunk = 0;
      for (; chunk + 2 <= n_chunks; chunk += 2) {
        prefetch_values<F16>(w, next);  // up to 16 values
        chunk_avx2<F16, T>(w, bits, chunk, next, x, acc[0]);
        chunk_avx2<F16, T>(w, bits, chunk + 1, next, x, acc[A - 1]);
      }
      if (chunk < n_chunks) chunk_avx2<F16, T>(w, bits, chunk, next, x, acc[0]);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m256 sum = A == 2 ? _mm256_add_ps(acc[0][t], acc[A - 1][t]) : acc[0][t];
        y[t * ldy + r] = hsum8(sum) + w.tail_dot(r, 8 * n_chunks, next, x + t * w.n_cols);
      }
    }
  }
};

template <bool F16>
KICK_AVX2 void decode_avx2(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  const std::int64_t n_chunks = w.n_cols / 8;
  for (std::int64_t r = r0; r < r1; ++r) {
    const std::uint64_t* bits = w.bitmap + r * w.words_per_row;
    float* row = out + (r - r0) * w.n_cols;
    std::int64_t next = w.row_offsets[r];
    for (std::int64_t chunk = 0; chunk < n_chunks; ++chunk) _mm256_storeu_ps(row + 8 * chunk, expand8<F16>(w, mask8(bits, chunk), next));
    for (std::int64_t c = 8 * n_chunks; c < w.n_cols; ++c) row[c] = w.bit(r, c) ? w.value(next++) : 0.0f;
  }
}

// ---- dispatch on (value type, tokens) ------------------------------------------------------

template <class Isa, bool F16>
void matvec_tokens(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                   std::int64_t ldy) {
  static constexpr matvec_t by_tokens[k_max_tokens] = {&Isa::template matvec<F16, 1>, &Isa::template matvec<F16, 2>,
                                                       &Isa::template matvec<F16, 3>, &Isa::template matvec<F16, 4>,
                                                       &Isa::template matvec<F16, 5>, &Isa::template matvec<F16, 6>,
                                                       &Isa::template matvec<F16, 7>};
  if (n_tokens >= 1 && n_tokens <= k_max_tokens) by_tokens[n_tokens - 1](w, r0, r1, x, y, ldy);
}

template <class Isa>
void matvec_any(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy) {
  if (w.f16) return matvec_tokens<Isa, true>(w, r0, r1, x, n_tokens, y, ldy);
  matvec_tokens<Isa, false>(w, r0, r1, x, n_tokens, y, ldy);
}

template <void (*D)(const bitmap_rows&, std::int64_t, std::int64_t, float*), void (*Dh)(const bitmap_rows&, std::int64_t, std::int64_t, float*)>
void decode_any(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, float* out) {
  (w.f16 ? Dh : D)(w, r0, r1, out);
}

bool has_popcnt_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c") &&
         __builtin_cpu_supports("popcnt");
}

// f16 values on a CPU with AVX512_BW, _VL and _BITALG: the half-width expansion.
void matvec_bitalg(const bitmap_rows& w, std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                   std::int64_t ldy) {
  if (w.f16) return matvec_tokens<avx512_bitalg, true>(w, r0, r1, x, n_tokens, y, ldy);
  matvec_tokens<avx512, false>(w, r0, r1, x, n_tokens, y, ldy);
}

}  // namespace

const bitmap_kernels* bitmap_avx512_vpopcntdq() {
  static const bitmap_kernels k{matvec_any<avx512>, decode_any<decode_avx512<false>, decode_avx512<true>>};
  return has_popcnt_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq") ? &k : nullptr;
}

const bitmap_kernels* bitmap_avx512() {
  const bitmap_kernels* base = bitmap_avx512_vpopcntdq();
  if (base == nullptr) return nullptr;
  static const bitmap_kernels k_bitalg{matvec_bitalg, base->decode};
  const bool bitalg = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bitalg");
  return bitalg ? &k_bitalg : base;
}

const bitmap_kernels* bitmap_avx2() {
  static const bitmap_kernels k{matvec_any<avx2>, decode_any<decode_avx2<false>, decode_avx2<true>>};
  return has_popcnt_avx2() ? &k : nullptr;
}

#else  // not x86-64

const bitmap_kernels* bitmap_avx512() { return nullptr; }
const bitmap_kernels* bitmap_avx512_vpopcntdq() { return nullptr; }
const bitmap_kernels* bitmap_avx2() { return nullptr; }

#endif

}  // namespace kick::cpu::sparse
