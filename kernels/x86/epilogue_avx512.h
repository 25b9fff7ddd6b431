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

// The scalars of the output step, copied out of the plan once per tile: C is written through a
// char pointer that may alias anything, so values read through `ep` inside a row loop would be
// reloaded after every store.
struct output_consts16 {
  __m512 q_lo, q_hi;       // REQUANT_FLOAT: out_min - zc, out_max - zc as float
  __m512i qi_lo, qi_hi;    // REQUANT_FIXED: the same as int32
  __m512i zc;              // out_zero_point
  __m512 f_lo, f_hi;       // F32 clamp
  bool f_clamp;
  const float* a_scale;    // F32
  size_t a_scale_stride;
};

inline output_consts16 load_output_consts16(const epilogue_plan& ep) {
  output_consts16 k{};
  k.q_lo = _mm512_set1_ps(static_cast<float>(ep.out_min - ep.out_zero_point));
  k.q_hi = _mm512_set1_ps(static_cast<float>(ep.out_max - ep.out_zero_point));
  k.qi_lo = _mm512_set1_epi32(ep.out_min - ep.out_zero_point);
  k.qi_hi = _mm512_set1_epi32(ep.out_max - ep.out_zero_point);
  k.zc = _mm512_set1_epi32(ep.out_zero_point);
  k.f_lo = _mm512_set1_ps(ep.f32_min);
  k.f_hi = _mm512_set1_ps(ep.f32_max);
  k.f_clamp = ep.f32_clamp;
  k.a_scale = ep.a_scale;
  k.a_scale_stride = ep.a_scale_stride;
  return k;
}

// The output step of epilogue O on 16 (masked) columns of one row: x is the corrected
// accumulator plus, for the integer outputs, the bias (SEMANTICS.md §3); `c` is C at (row, first
// column).
template <qgemm_output O>
inline void output_row16(__m512i x, size_t row, const columns16& cols, const output_consts16& k,
                         void* c) {
  const __mmask16 mask = cols.mask;
  if constexpr (O == QGEMM_OUTPUT_S32) {
    _mm512_mask_storeu_epi32(c, mask, x);
  } else if constexpr (O == QGEMM_OUTPUT_REQUANT_FLOAT) {
    __m512 f = _mm512_cvtepi32_ps(x);  // round to nearest even (default MXCSR)
    f = _mm512_mul_ps(f, cols.scale);
    // max(lo, f) and min(hi, f) with f second: the scalar forms' comparisons exactly
    f = _mm512_max_ps(k.q_lo, f);
    f = _mm512_min_ps(k.q_hi, f);
    const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), k.zc);  // nearest even
    _mm512_mask_cvtepi32_storeu_epi8(c, mask, q);  // in [out_min, out_max]: the low byte
  } else if constexpr (O == QGEMM_OUTPUT_REQUANT_FIXED) {
    __m512i q = multiply_by_quantized_multiplier16(x, cols.multiplier, cols.shift);
    // clamp(zc + q, lo, hi) without overflow: clamp q to [lo - zc, hi - zc], then add zc
    q = _mm512_max_epi32(q, k.qi_lo);
    q = _mm512_min_epi32(q, k.qi_hi);
    _mm512_mask_cvtepi32_storeu_epi8(c, mask, _mm512_add_epi32(q, k.zc));
  } else {  // QGEMM_OUTPUT_F32
    const __m512 s = _mm512_mul_ps(_mm512_set1_ps(k.a_scale[row * k.a_scale_stride]), cols.b_scale);
    __m512 f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), s, cols.bias_f32);  // one rounding, as fmaf
    if (k.f_clamp) {
      f = _mm512_max_ps(k.f_lo, f);  // NaN stays NaN, as in the scalar form
      f = _mm512_min_ps(k.f_hi, f);
    }
    _mm512_mask_storeu_ps(c, mask, f);
  }
}

// The int32 bias joins the integer outputs only; F32 has its own float bias.
template <qgemm_output O>
inline __m512i with_bias16(__m512i x, const columns16& cols) {
  if constexpr (O == QGEMM_OUTPUT_F32) return x;
  return _mm512_add_epi32(x, cols.bias);
}

// Writes 16 (masked) columns of one row of C from dot' values. `c` is C at (row, first column);
// `k` is load_output_consts16(ep), made once by the caller for all its rows.
inline void epilogue_row16(__m512i dot, int32_t row_sum, size_t row, const columns16& cols,
                           const output_consts16& k, const epilogue_plan& ep, void* c) {
  if (cols.mask == 0) return;
  const __m512i x = corrected_acc16(dot, row_sum, row, cols, ep);
  switch (ep.output) {
    case QGEMM_OUTPUT_S32:
      return output_row16<QGEMM_OUTPUT_S32>(with_bias16<QGEMM_OUTPUT_S32>(x, cols), row, cols, k, c);
    case QGEMM_OUTPUT_REQUANT_FLOAT:
      return output_row16<QGEMM_OUTPUT_REQUANT_FLOAT>(
          with_bias16<QGEMM_OUTPUT_REQUANT_FLOAT>(x, cols), row, cols, k, c);
    case QGEMM_OUTPUT_REQUANT_FIXED:
      return output_row16<QGEMM_OUTPUT_REQUANT_FIXED>(
          with_bias16<QGEMM_OUTPUT_REQUANT_FIXED>(x, cols), row, cols, k, c);
    case QGEMM_OUTPUT_F32:
      return output_row16<QGEMM_OUTPUT_F32>(x, row, cols, k, c);
    default:
      return;
  }
}

// Per-tensor zero points (the common case): the correction of dot' splits into a column term,
// zA' col_off' + bias (the bias for the integer outputs only), once per 16 columns, and a row
// term, row_sum' * -zB', once per row; x = dot' + both.
inline bool per_tensor_zero_points(const epilogue_plan& ep) {
  return ep.neg_zb_stride == 0 && ep.za_stride == 0;
}
template <qgemm_output O>
inline __m512i per_tensor_col_term16(const columns16& cols) {
  return with_bias16<O>(cols.za_col_off, cols);
}
inline int32_t per_tensor_row_term(int32_t row_sum, const epilogue_plan& ep) {
  return static_cast<int32_t>(static_cast<uint32_t>(row_sum) * static_cast<uint32_t>(ep.neg_zb[0]));
}
inline __m512i per_tensor_x16(__m512i dot, __m512i col_term, int32_t row_term) {
  return _mm512_add_epi32(_mm512_add_epi32(dot, col_term), _mm512_set1_epi32(row_term));
}

// The epilogue of a whole R x NR tile for one output kind, column block by column block so that
// the per-column parameters are loaded once for all rows. With per-tensor zero points (the common
// case) the correction is one vector per column block (zA' col_off' + bias) and one scalar per
// row (row_sum' * -zB'), both computed before the row loop: per row and 16 columns that leaves
// a load, two additions and the output step.
template <qgemm_output O, size_t R, size_t NR>
inline void epilogue_tile16(const int32_t* dot, const tile_args& t) {
  const epilogue_plan& ep = *t.ep;
  const output_consts16 k = load_output_consts16(ep);
  const size_t out_bytes = output_elem_bytes(O);
  const size_t row_bytes = t.ldc * out_bytes;
  const bool per_tensor_zp = per_tensor_zero_points(ep);
  int32_t row_term[R];  // per-tensor zero points only
  for (size_t m = 0; per_tensor_zp && m < R; ++m) row_term[m] = per_tensor_row_term(t.row_sum[m], ep);
  char* const c0 = static_cast<char*>(t.c);
  for (size_t h = 0; h < NR; h += 16) {
    const __mmask16 mask = lane_mask16(static_cast<ptrdiff_t>(t.n) - static_cast<ptrdiff_t>(h));
    if (mask == 0) break;
    const columns16 cols = load_columns16(ep, t.col + h, mask);
    char* c = c0 + h * out_bytes;
    if (per_tensor_zp) {
      const __m512i col_term = per_tensor_col_term16<O>(cols);
      for (size_t m = 0; m < R; ++m)
        output_row16<O>(per_tensor_x16(_mm512_load_si512(dot + m * NR + h), col_term, row_term[m]),
                        t.row + m, cols, k, c + m * row_bytes);
    } else {
      for (size_t m = 0; m < R; ++m) {
        const __m512i x = corrected_acc16(_mm512_load_si512(dot + m * NR + h), t.row_sum[m],
                                          t.row + m, cols, ep);
        output_row16<O>(with_bias16<O>(x, cols), t.row + m, cols, k, c + m * row_bytes);
      }
    }
  }
}

// The end of an AVX-512 tile of R rows x NR columns whose dot' sums are in `dot` (R x NR int32):
// add the partial sums of earlier K blocks, then either keep the sums for the next block or run
// the epilogue on the valid corner.
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
  switch (t.ep->output) {
    case QGEMM_OUTPUT_S32: return epilogue_tile16<QGEMM_OUTPUT_S32, R, NR>(dot, t);
    case QGEMM_OUTPUT_REQUANT_FLOAT: return epilogue_tile16<QGEMM_OUTPUT_REQUANT_FLOAT, R, NR>(dot, t);
    case QGEMM_OUTPUT_REQUANT_FIXED: return epilogue_tile16<QGEMM_OUTPUT_REQUANT_FIXED, R, NR>(dot, t);
    case QGEMM_OUTPUT_F32: return epilogue_tile16<QGEMM_OUTPUT_F32, R, NR>(dot, t);
    default: return;
  }
}

// The small-M (decode) path's epilogue: R rows of 32 columns from `col`, acc[r][h] holding
// columns col + 16 h .. col + 16 h + 15 of row r (ukernel_14x32c4__avx512vnni,
// ukernel_12x32c4__avx512bw; consts loaded once per call).
template <size_t R>
inline void gemv_epilogue32(const __m512i (&acc)[R][2], const int32_t* row_sums, size_t col,
                            const output_consts16& consts, const gemv_args& g) {
  const epilogue_plan& ep = *g.ep;
  const size_t out_bytes = output_elem_bytes(ep.output);
  const columns16 cols0 = load_columns16(ep, col, lane_mask16(static_cast<ptrdiff_t>(g.n - col)));
  const columns16 cols1 =
      load_columns16(ep, col + 16, lane_mask16(static_cast<ptrdiff_t>(g.n - col) - 16));
#pragma GCC unroll 4
  for (size_t r = 0; r < R; ++r) {
    char* c = static_cast<char*>(g.c) + (r * g.ldc + col) * out_bytes;
    epilogue_row16(acc[r][0], row_sums[r], r, cols0, consts, ep, c);
    epilogue_row16(acc[r][1], row_sums[r], r, cols1, consts, ep, c + 16 * out_bytes);
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_X86_EPILOGUE_AVX512_H
