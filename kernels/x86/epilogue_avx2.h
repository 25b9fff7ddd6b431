// The four epilogues (SEMANTICS.md §3) on 8 int32 lanes of AVX2, for the kernels of the AVX2
// level. Included only by files compiled with -mavx2 -mfma.
//
// Each step mirrors x86/epilogue_avx512.h (and through it core/epilogue.h, the scalar form) so
// that the three can be read side by side; the reference in kernels/ref checks all of them.
//
// AVX2 has no mask registers, and that shapes this file. Lanes past the last valid column are
// still never read from a per-column array nor written to C:
//   - per-column loads use vpmaskmovd / vmaskmovps, which do not fault on masked-off lanes even
//     when those lanes lie on an unmapped page, and read them as 0;
//   - 4-byte outputs are written with vpmaskmovd / vmaskmovps;
//   - byte outputs are packed into 8 bytes in a register and exactly n of them are copied out.
// Unlike the AVX-512 file, whose masks are free, each helper here takes the valid lane count
// `n` and builds its mask once (lane_mask8).
#ifndef QGEMM_KERNELS_X86_EPILOGUE_AVX2_H
#define QGEMM_KERNELS_X86_EPILOGUE_AVX2_H

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

// All-ones in lanes [0, n) of an 8-lane vector, zero elsewhere, for n in any range.
inline __m256i lane_mask8(ptrdiff_t n) {
  const int32_t k = n <= 0 ? 0 : (n >= 8 ? 8 : static_cast<int32_t>(n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// 8 values of a per-column (stride 1) or per-tensor (stride 0) array from column `col`.
inline __m256i load_column_i32(const int32_t* p, size_t stride, size_t col, __m256i mask) {
  return stride == 0 ? _mm256_set1_epi32(p[0])
                     : _mm256_maskload_epi32(reinterpret_cast<const int*>(p + col), mask);
}
inline __m256 load_column_f32(const float* p, size_t stride, size_t col, __m256i mask) {
  return stride == 0 ? _mm256_set1_ps(p[0]) : _mm256_maskload_ps(p + col, mask);
}
inline __m256i load_masked_i32(const int32_t* p, __m256i mask) {
  return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), mask);
}

// acc = dot' + row_sum' * neg_zb' + za' * col_off'   (mod 2^32; vpmulld keeps the low half)
//
// Unlike the AVX-512 epilogue, the per-column parameters are loaded again for every row: loading
// them once per tile (a struct of ~10 ymm, as columns16 does in zmm) was tried and measured
// ~8% slower on tiny64, tiny32 and odd_97x83x61 (Zen 4, best of 20 calls): with 16 ymm
// registers the struct spills, and a spill costs more than the masked reloads it saves.
inline __m256i corrected_acc8(__m256i dot, int32_t row_sum, int32_t za, const epilogue_plan& ep,
                              size_t col, __m256i mask) {
  const __m256i neg_zb = load_column_i32(ep.neg_zb, ep.neg_zb_stride, col, mask);
  const __m256i col_off = load_masked_i32(ep.col_off + col, mask);
  dot = _mm256_add_epi32(dot, _mm256_mullo_epi32(_mm256_set1_epi32(row_sum), neg_zb));
  return _mm256_add_epi32(dot, _mm256_mullo_epi32(_mm256_set1_epi32(za), col_off));
}

// (p + nudge) / 2^31 rounded toward zero, for the signed 64-bit products p of each lane pair:
// TensorFlow Lite's SaturatingRoundingDoublingHighMul without its saturation case, which needs
// a multiplier of INT32_MIN (validation admits multipliers in [0, 2^31) only). Only the low 32
// bits of each 64-bit result are meaningful (the quotient fits in int32).
//
// AVX2 has no 64-bit arithmetic right shift (vpsraq is AVX-512), but none is needed: bits 0-31
// of `v >> 31` are bits 31-62 of v whether the shift is arithmetic or logical; they differ only
// from bit 33 up, which the caller discards. So the logical vpsrlq gives the exact low half.
inline __m256i doubling_high_mul_64(__m256i p) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i negative = _mm256_cmpgt_epi64(zero, p);
  const __m256i nudge = _mm256_blendv_epi8(_mm256_set1_epi64x(int64_t{1} << 30),
                                           _mm256_set1_epi64x(1 - (int64_t{1} << 30)), negative);
  __m256i v = _mm256_add_epi64(p, nudge);
  // truncating division: add 2^31 - 1 to negative values before the (arithmetic) shift
  const __m256i v_negative = _mm256_cmpgt_epi64(zero, v);
  v = _mm256_add_epi64(
      v, _mm256_and_si256(v_negative, _mm256_set1_epi64x((int64_t{1} << 31) - 1)));
  return _mm256_srli_epi64(v, 31);  // low 32 bits equal those of the arithmetic shift
}

// MultiplyByQuantizedMultiplier on 8 lanes, per-lane multiplier and shift.
inline __m256i multiply_by_quantized_multiplier8(__m256i x, __m256i multiplier, __m256i shift) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i left = _mm256_max_epi32(shift, zero);
  const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  x = _mm256_sllv_epi32(x, left);  // wraps modulo 2^32, as the contract defines
  // 32 x 32 -> 64 signed products of the even lanes, then of the odd lanes
  const __m256i even = doubling_high_mul_64(_mm256_mul_epi32(x, multiplier));
  const __m256i odd = doubling_high_mul_64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(multiplier, 32)));
  const __m256i high = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  // RoundingDivideByPOT: round half away from zero
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  // threshold = (mask >> 1) + (high < 0): the compare gives -1 where high < 0, so subtract it
  const __m256i threshold =
      _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_cmpgt_epi32(zero, high));
  const __m256i round_up = _mm256_cmpgt_epi32(remainder, threshold);  // -1 where rounding up
  return _mm256_sub_epi32(_mm256_srav_epi32(high, right), round_up);
}

// Writes the low byte of lanes [0, n) of q to c (n in 1..8), and nothing past them.
inline void store_low_bytes8(void* c, __m256i q, size_t n) {
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        -1, -1);
  const __m256i bytes = _mm256_shuffle_epi8(q, pick);  // 4 bytes at the bottom of each half
  const __m128i eight = _mm_unpacklo_epi32(_mm256_castsi256_si128(bytes),
                                           _mm256_extracti128_si256(bytes, 1));
  if (n >= 8) {
    _mm_storel_epi64(static_cast<__m128i*>(c), eight);
  } else {
    const uint64_t v = static_cast<uint64_t>(_mm_cvtsi128_si64(eight));
    std::memcpy(c, &v, n);  // little endian: lane j's byte is byte j of v
  }
}

// Stores lanes [0, n) of x (n in 1..8; `mask` = lane_mask8(n)) as 4-byte values at c. A whole
// row of 8 takes a plain store: vpmaskmovd's store form is slow on AMD cores (Zen 4 runs this
// file's kernels through the AVX-VNNI test twin; the AVX2 kernel runs there natively).
inline void store_i32x8(void* c, __m256i x, __m256i mask, size_t n) {
  if (n >= 8)
    _mm256_storeu_si256(static_cast<__m256i*>(c), x);
  else
    _mm256_maskstore_epi32(static_cast<int*>(c), mask, x);
}

// Writes columns [col, col + n) (n in 1..8) of one row of C from 8 dot' values. `c` is C at
// (row, col).
inline void epilogue_row8(__m256i dot, int32_t row_sum, size_t row, size_t col, size_t n,
                          const epilogue_plan& ep, void* c) {
  const __m256i mask = lane_mask8(static_cast<ptrdiff_t>(n));
  const int32_t za = static_cast<int32_t>(static_cast<uint32_t>(ep.za[row * ep.za_stride]) +
                                          static_cast<uint32_t>(ep.za_shift));
  __m256i x = corrected_acc8(dot, row_sum, za, ep, col, mask);
  switch (ep.output) {
    case QGEMM_OUTPUT_S32:
      if (ep.bias) x = _mm256_add_epi32(x, load_masked_i32(ep.bias + col, mask));
      store_i32x8(c, x, mask, n);
      return;
    case QGEMM_OUTPUT_REQUANT_FLOAT: {
      if (ep.bias) x = _mm256_add_epi32(x, load_masked_i32(ep.bias + col, mask));
      __m256 f = _mm256_cvtepi32_ps(x);  // round to nearest even (default MXCSR)
      f = _mm256_mul_ps(f, load_column_f32(ep.scale, ep.scale_stride, col, mask));
      // max(lo, f) and min(hi, f) with f second: the scalar forms' comparisons exactly
      f = _mm256_max_ps(_mm256_set1_ps(static_cast<float>(ep.out_min - ep.out_zero_point)), f);
      f = _mm256_min_ps(_mm256_set1_ps(static_cast<float>(ep.out_max - ep.out_zero_point)), f);
      const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f),  // nearest even
                                         _mm256_set1_epi32(ep.out_zero_point));
      store_low_bytes8(c, q, n);  // in [out_min, out_max]: the low byte
      return;
    }
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      if (ep.bias) x = _mm256_add_epi32(x, load_masked_i32(ep.bias + col, mask));
      __m256i q = multiply_by_quantized_multiplier8(
          x, load_column_i32(ep.multiplier, ep.multiplier_stride, col, mask),
          load_column_i32(ep.shift, ep.multiplier_stride, col, mask));
      // clamp(zc + q, lo, hi) without overflow: clamp q to [lo - zc, hi - zc], then add zc
      q = _mm256_max_epi32(q, _mm256_set1_epi32(ep.out_min - ep.out_zero_point));
      q = _mm256_min_epi32(q, _mm256_set1_epi32(ep.out_max - ep.out_zero_point));
      q = _mm256_add_epi32(q, _mm256_set1_epi32(ep.out_zero_point));
      store_low_bytes8(c, q, n);
      return;
    }
    case QGEMM_OUTPUT_F32: {
      const __m256 s = _mm256_mul_ps(_mm256_set1_ps(ep.a_scale[row * ep.a_scale_stride]),
                                     load_column_f32(ep.b_scale, ep.b_scale_stride, col, mask));
      const __m256 bias =
          ep.bias_f32 ? _mm256_maskload_ps(ep.bias_f32 + col, mask) : _mm256_setzero_ps();
      __m256 f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), s, bias);  // one rounding, as fmaf
      if (ep.f32_clamp) {
        f = _mm256_max_ps(_mm256_set1_ps(ep.f32_min), f);  // NaN stays NaN, as in the scalar form
        f = _mm256_min_ps(_mm256_set1_ps(ep.f32_max), f);
      }
      store_i32x8(c, _mm256_castps_si256(f), mask, n);
      return;
    }
    default:
      return;
  }
}

// The end of an AVX2 tile of R rows x NR columns (NR a multiple of 8), shared by the AVX2
// kernels: `dot` holds the tile's R x NR dot' values (leading dimension NR, 32-byte aligned).
// Adds the partial sums of earlier K blocks, then either stores the sums for the next block or
// runs the epilogue; either way only the valid t.m x t.n corner is read or written.
template <size_t R, size_t NR>
inline void finish_tile_avx2(int32_t* dot, const tile_args& t) {
  static_assert(NR % 8 == 0, "whole ymm vectors of columns");
  if (!t.first_k || !t.last_k) {
    for (size_t m = 0; m < R; ++m) {
      int32_t* p = t.partial + m * t.ld_partial;
      for (size_t h = 0; h < NR; h += 8) {
        const __m256i mask = lane_mask8(static_cast<ptrdiff_t>(t.n) - static_cast<ptrdiff_t>(h));
        int32_t* d = dot + m * NR + h;
        __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(d));
        if (!t.first_k) v = _mm256_add_epi32(v, load_masked_i32(p + h, mask));
        if (!t.last_k)
          _mm256_maskstore_epi32(reinterpret_cast<int*>(p + h), mask, v);
        else
          _mm256_store_si256(reinterpret_cast<__m256i*>(d), v);
      }
    }
    if (!t.last_k) return;
  }

  const epilogue_plan& ep = *t.ep;
  const size_t out_bytes = output_elem_bytes(ep.output);
  for (size_t m = 0; m < R; ++m) {
    char* c = static_cast<char*>(t.c) + m * t.ldc * out_bytes;
    for (size_t h = 0; h < NR && h < t.n; h += 8) {
      const __m256i d = _mm256_load_si256(reinterpret_cast<const __m256i*>(dot + m * NR + h));
      epilogue_row8(d, t.row_sum[m], t.row + m, t.col + h, t.n - h < 8 ? t.n - h : 8, ep,
                    c + h * out_bytes);
    }
  }
}

// Stores R x NV accumulators (row m: NV vectors of 8 columns) as R rows of 8 * NV int32 into
// `out` (32-byte aligned): the end of an AVX2 kernel's K loop.
template <size_t R, size_t NV>
inline __attribute__((always_inline)) void store_rows_avx2(const __m256i (&acc)[R][NV],
                                                           int32_t* out) {
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v)
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + (m * NV + v) * 8), acc[m][v]);
}

// Zeroes R x NV accumulators (row m: NV vectors of 8 columns): the start of a K loop.
template <size_t R, size_t NV>
inline __attribute__((always_inline)) void zero_rows_avx2(__m256i (&acc)[R][NV]) {
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; ++v) acc[m][v] = _mm256_setzero_si256();
}

// One K-group of an AVX2 kernel that keeps B in registers: loads the group's NV B vectors at `b`
// (32 bytes apart), then per row m broadcasts its 4 bytes of A at a + m * a_stride (vpbroadcastd
// from memory) and sets acc[m][v] = mul_add(acc[m][v], b_v, a_m), the kernel's instruction(s):
// vpdpbusd on bytes (ukernel_6x16c4__avxvnni) or vpmaddwd + vpaddd on int16 pairs
// (ukernel_6x16c2__avx2).
template <size_t R, size_t NV, class MulAdd>
inline __attribute__((always_inline)) void broadcast_k_group_avx2(__m256i (&acc)[R][NV],
                                                                  const uint8_t* a,
                                                                  size_t a_stride,
                                                                  const uint8_t* b,
                                                                  MulAdd mul_add) {
  __m256i bv[NV];
#pragma GCC unroll 2
  for (size_t v = 0; v < NV; ++v)
    bv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + v * 32));
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m) {
    int32_t a4;
    std::memcpy(&a4, a + m * a_stride, sizeof a4);
    const __m256i am = _mm256_set1_epi32(a4);
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; ++v) acc[m][v] = mul_add(acc[m][v], bv[v], am);
  }
}

// The tile function of an AVX2 kernel with MR x NR tiles: compiled once per row count R = t.m
// (edge tiles and small M do not pay for padding rows), `dot_rows(rows, out)` runs the kernel's
// K loop for R = decltype(rows)::value rows into `out` (R x NR int32), then the tile finishes.
template <size_t MR, size_t NR, class DotRows>
inline void tile_avx2(const tile_args& t, DotRows dot_rows) {
  with_rows<MR>(t.m, [&](auto rows) {
    constexpr size_t R = decltype(rows)::value;
    alignas(32) int32_t dot[R * NR];
    prefetch_tile_c<R>(t);
    dot_rows(rows, dot);
    finish_tile_avx2<R, NR>(dot, t);
  });
}

// The epilogue of an AVX2 kernel's small-M path (gemv_args) for the R rows of C and the 8 * NV
// columns from `col` (those below g.n): acc holds their dot' sums, row_sums their row_sum'.
template <size_t R, size_t NV>
inline void gemv_epilogue_avx2(const __m256i (&acc)[R][NV], const int32_t* row_sums, size_t col,
                               const gemv_args& g) {
  const epilogue_plan& ep = *g.ep;
  const size_t out_bytes = output_elem_bytes(ep.output);
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (size_t v = 0; v < NV; ++v) {
      const size_t c0 = col + 8 * v;
      if (c0 < g.n)
        epilogue_row8(acc[r][v], row_sums[r], r, c0, g.n - c0 < 8 ? g.n - c0 : 8, ep,
                      static_cast<char*>(g.c) + (r * g.ldc + c0) * out_bytes);
    }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_X86_EPILOGUE_AVX2_H
