// The four epilogues (SEMANTICS.md §3) on 16 int32 lanes of AVX-512, for the kernels of the
// AVX-512 levels. Included only by files compiled with -mavx512f -mavx512bw -mavx512vl.
//
// Each step mirrors core/epilogue.h (the scalar form) so that the two can be read side by side;
// the reference in kernels/ref checks both. Lanes past the last valid column are masked off in
// every load and store: per-column arrays are never read past their end, C is never written
// outside the tile's valid corner.
#ifndef QGEMM_KERNELS_X86_EPILOGUE_AVX512_H
#define QGEMM_KERNELS_X86_EPILOGUE_AVX512_H

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

// Lanes [0, n) of a 16-lane vector, for n in any range.
inline __mmask16 lane_mask16(ptrdiff_t n) {
  if (n >= 16) return 0xFFFF;
  if (n <= 0) return 0;
  return static_cast<__mmask16>((1u << n) - 1);
}

// 16 values of a per-column (stride 1) or per-tensor (stride 0) int32 array from column `col`.
inline __m512i load_column_i32(const int32_t* p, size_t stride, size_t col, __mmask16 mask) {
  return stride == 0 ? _mm512_set1_epi32(p[0]) : _mm512_maskz_loadu_epi32(mask, p + col);
}
inline __m512 load_column_f32(const float* p, size_t stride, size_t col, __mmask16 mask) {
  return stride == 0 ? _mm512_set1_ps(p[0]) : _mm512_maskz_loadu_ps(mask, p + col);
}

// The per-column parameters of 16 columns, loaded once per tile and reused for every row.
struct columns16 {
  __mmask16 mask;
  __m512i col_off;      // K zB' - colsum(B')
  __m512i neg_zb;       // -zB' (per-column zero points only)
  int32_t neg_zb_one;   // -zB' (per-tensor zero point)
  __m512i za_col_off;   // zA' * col_off (per-tensor zA only)
  __m512i bias;         // int32 bias, or 0
  __m512 scale;         // REQUANT_FLOAT
  __m512i multiplier, shift;  // REQUANT_FIXED
  __m512 b_scale, bias_f32;   // F32 (bias_f32 0 when absent)
};

inline columns16 load_columns16(const epilogue_plan& ep, size_t col, __mmask16 mask) {
  columns16 c{};
  c.mask = mask;
  c.col_off = _mm512_maskz_loadu_epi32(mask, ep.col_off + col);
  if (ep.neg_zb_stride != 0)
    c.neg_zb = _mm512_maskz_loadu_epi32(mask, ep.neg_zb + col);
  else
    c.neg_zb_one = ep.neg_zb[0];
  if (ep.za_stride == 0) {
    const int32_t za = static_cast<int32_t>(static_cast<uint32_t>(ep.za[0]) +
                                            static_cast<uint32_t>(ep.za_shift));
    c.za_col_off = _mm512_mullo_epi32(_mm512_set1_epi32(za), c.col_off);
  }
  c.bias = ep.bias ? _mm512_maskz_loadu_epi32(mask, ep.bias + col) : _mm512_setzero_si512();
  switch (ep.output) {
    case QGEMM_OUTPUT_REQUANT_FLOAT:
      c.scale = load_column_f32(ep.scale, ep.scale_stride, col, mask);
      break;
    case QGEMM_OUTPUT_REQUANT_FIXED:
      c.multiplier = load_column_i32(ep.multiplier, ep.multiplier_stride, col, mask);
      c.shift = load_column_i32(ep.shift, ep.multiplier_stride, col, mask);
      break;
    case QGEMM_OUTPUT_F32:
      c.b_scale = load_column_f32(ep.b_scale, ep.b_scale_stride, col, mask);
      c.bias_f32 = ep.bias_f32 ? _mm512_maskz_loadu_ps(mask, ep.bias_f32 + col) : _mm512_setzero_ps();
      break;
    default:
      break;
  }
  return c;
}

// acc = dot' + row_sum' * neg_zb' + za' * col_off'   (mod 2^32; vpmulld keeps the low half).
// With per-tensor zero points (the common case) the products are a scalar per row and a vector
// per tile: no vpmulld per row at all.
inline __m512i corrected_acc16(__m512i dot, int32_t row_sum, size_t row, const columns16& c,
                               const epilogue_plan& ep) {
  if (ep.neg_zb_stride == 0) {
    const uint32_t row_term = static_cast<uint32_t>(row_sum) * static_cast<uint32_t>(c.neg_zb_one);
    dot = _mm512_add_epi32(dot, _mm512_set1_epi32(static_cast<int32_t>(row_term)));
  } else {
    dot = _mm512_add_epi32(dot, _mm512_mullo_epi32(_mm512_set1_epi32(row_sum), c.neg_zb));
  }
  if (ep.za_stride == 0) return _mm512_add_epi32(dot, c.za_col_off);
  const int32_t za = static_cast<int32_t>(static_cast<uint32_t>(ep.za[row * ep.za_stride]) +
                                          static_cast<uint32_t>(ep.za_shift));
  return _mm512_add_epi32(dot, _mm512_mullo_epi32(_mm512_set1_epi32(za), c.col_off));
}

// (p + nudge) / 2^31 rounded toward zero, for the signed 64-bit products p of each lane pair:
// TensorFlow Lite's SaturatingRoundingDoublingHighMul without its saturation case, which needs
// a multiplier of INT32_MIN (validation admits multipliers in [0, 2^31) only).
inline __m512i doubling_high_mul_64(__m512i p) {
  const __m512i zero = _mm512_setzero_si512();
  const __mmask8 negative = _mm512_cmplt_epi64_mask(p, zero);
  const __m512i nudge = _mm512_mask_blend_epi64(negative, _mm512_set1_epi64(int64_t{1} << 30),
                                                _mm512_set1_epi64(1 - (int64_t{1} << 30)));
  __m512i v = _mm512_add_epi64(p, nudge);
  // truncating division: add 2^31 - 1 to negative values before the arithmetic shift
  const __mmask8 v_negative = _mm512_cmplt_epi64_mask(v, zero);
  v = _mm512_mask_add_epi64(v, v_negative, v, _mm512_set1_epi64((int64_t{1} << 31) - 1));
  return _mm512_srai_epi64(v, 31);
}

// MultiplyByQuantizedMultiplier on 16 lanes, per-lane multiplier and shift.
inline __m512i multiply_by_quantized_multiplier16(__m512i x, __m512i multiplier, __m512i shift) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i left = _mm512_max_epi32(shift, zero);
  const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
  x = _mm512_sllv_epi32(x, left);  // wraps modulo 2^32, as the contract defines
  // 32 x 32 -> 64 signed products of the even lanes, then of the odd lanes
  const __m512i even = doubling_high_mul_64(_mm512_mul_epi32(x, multiplier));
  const __m512i odd = doubling_high_mul_64(
      _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(multiplier, 32)));
  const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  // RoundingDivideByPOT: round half away from zero
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
  const __m512i remainder = _mm512_and_si512(high, mask);
  const __mmask16 negative = _mm512_cmplt_epi32_mask(high, zero);
  const __m512i threshold =
      _mm512_mask_add_epi32(_mm512_srai_epi32(mask, 1), negative, _mm512_srai_epi32(mask, 1), one);
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
  return _mm512_mask_add_epi32(_mm512_srav_epi32(high, right), round_up,
                               _mm512_srav_epi32(high, right), one);
}

// Writes 16 (masked) columns of one row of C from dot' values. `c` is C at (row, first column).
inline void epilogue_row16(__m512i dot, int32_t row_sum, size_t row, const columns16& cols,
                           const epilogue_plan& ep, void* c) {
  const __mmask16 mask = cols.mask;
  if (mask == 0) return;
  __m512i x = corrected_acc16(dot, row_sum, row, cols, ep);
  switch (ep.output) {
    case QGEMM_OUTPUT_S32:
      _mm512_mask_storeu_epi32(c, mask, _mm512_add_epi32(x, cols.bias));
      return;
    case QGEMM_OUTPUT_REQUANT_FLOAT: {
      x = _mm512_add_epi32(x, cols.bias);
      __m512 f = _mm512_cvtepi32_ps(x);  // round to nearest even (default MXCSR)
      f = _mm512_mul_ps(f, cols.scale);
      // max(lo, f) and min(hi, f) with f second: the scalar forms' comparisons exactly
      f = _mm512_max_ps(_mm512_set1_ps(static_cast<float>(ep.out_min - ep.out_zero_point)), f);
      f = _mm512_min_ps(_mm512_set1_ps(static_cast<float>(ep.out_max - ep.out_zero_point)), f);
      const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f),  // nearest even
                                         _mm512_set1_epi32(ep.out_zero_point));
      _mm512_mask_cvtepi32_storeu_epi8(c, mask, q);  // in [out_min, out_max]: the low byte
      return;
    }
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      x = _mm512_add_epi32(x, cols.bias);
      __m512i q = multiply_by_quantized_multiplier16(x, cols.multiplier, cols.shift);
      // clamp(zc + q, lo, hi) without overflow: clamp q to [lo - zc, hi - zc], then add zc
      q = _mm512_max_epi32(q, _mm512_set1_epi32(ep.out_min - ep.out_zero_point));
      q = _mm512_min_epi32(q, _mm512_set1_epi32(ep.out_max - ep.out_zero_point));
      q = _mm512_add_epi32(q, _mm512_set1_epi32(ep.out_zero_point));
      _mm512_mask_cvtepi32_storeu_epi8(c, mask, q);
      return;
    }
    case QGEMM_OUTPUT_F32: {
      const __m512 s = _mm512_mul_ps(_mm512_set1_ps(ep.a_scale[row * ep.a_scale_stride]), cols.b_scale);
      __m512 f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), s, cols.bias_f32);  // one rounding, as fmaf
      if (ep.f32_clamp) {
        f = _mm512_max_ps(_mm512_set1_ps(ep.f32_min), f);  // NaN stays NaN, as in the scalar form
        f = _mm512_min_ps(_mm512_set1_ps(ep.f32_max), f);
      }
      _mm512_mask_storeu_ps(c, mask, f);
      return;
    }
    default:
      return;
  }
}

// The end of an AVX-512 tile of R rows x NR columns whose dot' sums are in `dot` (R x NR int32):
// add the partial sums of earlier K blocks, then either keep the sums for the next block or run
// the epilogue on the valid corner, column block by column block so that the per-column
// parameters are loaded once for all rows.
template <size_t R, size_t NR>
inline void finish_tile16(int32_t* dot, const tile_args& t) {
  static_assert(NR % 16 == 0, "whole zmm of int32 columns");
  if (!t.first_k || !t.last_k) {
    for (size_t m = 0; m < R; ++m) {
      int32_t* p = t.partial + m * t.ld_partial;
      for (size_t h = 0; h < NR; h += 16) {
        __m512i v = _mm512_load_si512(dot + m * NR + h);
        if (!t.first_k) v = _mm512_add_epi32(v, _mm512_loadu_si512(p + h));
        if (!t.last_k)
          _mm512_storeu_si512(p + h, v);  // the whole NR-wide slot of the partial buffer
        else
          _mm512_store_si512(dot + m * NR + h, v);
      }
    }
    if (!t.last_k) return;
  }

  const epilogue_plan& ep = *t.ep;
  const size_t out_bytes = output_elem_bytes(ep.output);
  for (size_t h = 0; h < NR; h += 16) {
    const __mmask16 mask = lane_mask16(static_cast<ptrdiff_t>(t.n) - static_cast<ptrdiff_t>(h));
    if (mask == 0) break;
    const columns16 cols = load_columns16(ep, t.col + h, mask);
    char* c = static_cast<char*>(t.c) + h * out_bytes;
    for (size_t m = 0; m < R; ++m)
      epilogue_row16(_mm512_load_si512(dot + m * NR + h), t.row_sum[m], t.row + m, cols, ep,
                     c + m * t.ldc * out_bytes);
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_X86_EPILOGUE_AVX512_H
