// The four epilogues (SEMANTICS.md §3) on 4 int32 lanes of NEON, for the Arm kernels. NEON is
// part of armv8-a, so every Arm kernel file (whatever its -march) may include this header.
//
// Each step mirrors core/epilogue.h (the scalar form) so that the two can be read side by side;
// the reference in kernels/ref checks both. NEON has no masked loads or stores: a block of 4
// columns with fewer valid columns loads its per-column parameters lane by lane (zero beyond
// the last column) and stores C through a small buffer, so per-column arrays are never read past
// their end and C is never written outside the tile's valid corner.
//
// Why each instruction is exact:
// - int32 add/mla wrap modulo 2^32 (the contract's accumulator arithmetic).
// - scvtf and fcvtns round to nearest even (the default FPCR mode), as static_cast<float> and
//   round_half_even_small do; fmla rounds once, as fmaf does.
// - sqrdmulh is TensorFlow Lite's SaturatingRoundingDoublingHighMul: both compute
//   floor((a b + 2^30) / 2^31) (ties toward +infinity for either sign of a b) and saturate only
//   INT32_MIN * INT32_MIN.
// - RoundingDivideByPOT (ties away from zero) is srshl (ties toward +infinity) after adding -1
//   to negative x when the exponent is not 0; the add saturates, which is exact for INT32_MIN
//   (divisible by every power of two up to 2^31, so its tie never arises).
// - Clamps are compare-and-select, not fmax/fmin: the scalar form `f < lo ? lo : f` keeps -0
//   against a bound of +0 and keeps NaN, where Arm's fmax would return +0 or NaN differently.
#ifndef QGEMM_KERNELS_ARM_EPILOGUE_NEON_H
#define QGEMM_KERNELS_ARM_EPILOGUE_NEON_H

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

// Four values of an int32/float array from index `col`, lanes >= n zero (n in 1..4).
inline int32x4_t load4_i32(const int32_t* p, size_t n) {
  if (n >= 4) return vld1q_s32(p);
  int32_t v[4] = {0, 0, 0, 0};
  std::memcpy(v, p, n * sizeof(int32_t));
  return vld1q_s32(v);
}
inline float32x4_t load4_f32(const float* p, size_t n) {
  if (n >= 4) return vld1q_f32(p);
  float v[4] = {0, 0, 0, 0};
  std::memcpy(v, p, n * sizeof(float));
  return vld1q_f32(v);
}
// A per-column (stride 1) or per-tensor (stride 0) array at column `col`.
inline int32x4_t load_column4_i32(const int32_t* p, size_t stride, size_t col, size_t n) {
  return stride == 0 ? vdupq_n_s32(p[0]) : load4_i32(p + col, n);
}
inline float32x4_t load_column4_f32(const float* p, size_t stride, size_t col, size_t n) {
  return stride == 0 ? vdupq_n_f32(p[0]) : load4_f32(p + col, n);
}

// The per-column parameters of 4 columns, loaded once per tile and reused for every row.
struct columns4 {
  size_t n;              // valid columns, 1..4
  int32x4_t col_off;     // K zB' - colsum(B')
  int32x4_t neg_zb;      // -zB'
  int32x4_t za_col_off;  // zA' * col_off (per-tensor zA only)
  int32x4_t bias;        // int32 bias, or 0
  float32x4_t scale;     // REQUANT_FLOAT
  int32x4_t multiplier;  // REQUANT_FIXED
  int32x4_t left;        // max(shift, 0)
  int32x4_t neg_right;   // -max(-shift, 0): srshl's shift count (a right shift)
  int32x4_t round_mask;  // all ones where the right shift is not 0 (the -1 for negative x)
  float32x4_t b_scale, bias_f32;  // F32 (bias_f32 0 when absent)
};

inline columns4 load_columns4(const epilogue_plan& ep, size_t col, size_t n) {
  columns4 c{};
  c.n = n;
  c.col_off = load4_i32(ep.col_off + col, n);
  c.neg_zb = load_column4_i32(ep.neg_zb, ep.neg_zb_stride, col, n);
  if (ep.za_stride == 0) {
    const int32_t za = static_cast<int32_t>(static_cast<uint32_t>(ep.za[0]) +
                                            static_cast<uint32_t>(ep.za_shift));
    c.za_col_off = vreinterpretq_s32_u32(  // the low 32 bits, unsigned: defined wrap-around
        vmulq_n_u32(vreinterpretq_u32_s32(c.col_off), static_cast<uint32_t>(za)));
  }
  c.bias = ep.bias ? load4_i32(ep.bias + col, n) : vdupq_n_s32(0);
  switch (ep.output) {
    case QGEMM_OUTPUT_REQUANT_FLOAT:
      c.scale = load_column4_f32(ep.scale, ep.scale_stride, col, n);
      break;
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      c.multiplier = load_column4_i32(ep.multiplier, ep.multiplier_stride, col, n);
      const int32x4_t shift = load_column4_i32(ep.shift, ep.multiplier_stride, col, n);
      const int32x4_t zero = vdupq_n_s32(0);
      c.left = vmaxq_s32(shift, zero);
      c.neg_right = vminq_s32(shift, zero);
      c.round_mask = vreinterpretq_s32_u32(vcltq_s32(shift, zero));
      break;
    }
    case QGEMM_OUTPUT_F32:
      c.b_scale = load_column4_f32(ep.b_scale, ep.b_scale_stride, col, n);
      c.bias_f32 = ep.bias_f32 ? load4_f32(ep.bias_f32 + col, n) : vdupq_n_f32(0.0f);
      break;
    default:
      break;
  }
  return c;
}

// int32 lanes added modulo 2^32, as the contract wants. GCC's arm_neon.h writes vaddq_s32 as
// `a + b` (and vmulq_n_s32 as `a * b`) on a signed vector type, which UBSan (rightly, for C)
// reports as signed overflow when the result wraps; the unsigned forms are the same
// instructions with defined wrap-around.
inline int32x4_t wrap_addq_s32(int32x4_t a, int32x4_t b) {
  return vreinterpretq_s32_u32(vaddq_u32(vreinterpretq_u32_s32(a), vreinterpretq_u32_s32(b)));
}

// acc = dot' + row_sum' * neg_zb' + za' * col_off'   (mod 2^32)
inline int32x4_t corrected_acc4(int32x4_t dot, int32_t row_sum, size_t row, const columns4& c,
                                const epilogue_plan& ep) {
  dot = vmlaq_n_s32(dot, c.neg_zb, row_sum);
  if (ep.za_stride == 0) return wrap_addq_s32(dot, c.za_col_off);
  const int32_t za = static_cast<int32_t>(static_cast<uint32_t>(ep.za[row * ep.za_stride]) +
                                          static_cast<uint32_t>(ep.za_shift));
  return vmlaq_n_s32(dot, c.col_off, za);
}

// f < lo ? lo : f, then f > hi ? hi : f — the scalar form's exact comparisons.
inline float32x4_t clamp4(float32x4_t f, float32x4_t lo, float32x4_t hi) {
  f = vbslq_f32(vcltq_f32(f, lo), lo, f);
  return vbslq_f32(vcgtq_f32(f, hi), hi, f);
}

// Low bytes of 4 int32 lanes (values already in [-128, 255]).
inline uint32_t narrow4_u8(int32x4_t q) {
  const int16x4_t h = vmovn_s32(q);
  const uint8x8_t b = vreinterpret_u8_s8(vmovn_s16(vcombine_s16(h, h)));
  return vget_lane_u32(vreinterpret_u32_u8(b), 0);
}

// Writes the (valid) columns of one row of C from 4 dot' values. `c` is C at (row, first column).
inline void epilogue_row4(int32x4_t dot, int32_t row_sum, size_t row, const columns4& cols,
                          const epilogue_plan& ep, void* c) {
  const int32x4_t x = corrected_acc4(dot, row_sum, row, cols, ep);
  switch (ep.output) {
    case QGEMM_OUTPUT_S32: {
      const int32x4_t v = wrap_addq_s32(x, cols.bias);
      if (cols.n == 4) {
        vst1q_s32(static_cast<int32_t*>(c), v);
      } else {
        int32_t tmp[4];
        vst1q_s32(tmp, v);
        std::memcpy(c, tmp, cols.n * sizeof(int32_t));
      }
      return;
    }
    case QGEMM_OUTPUT_REQUANT_FLOAT: {
      float32x4_t f = vmulq_f32(vcvtq_f32_s32(wrap_addq_s32(x, cols.bias)), cols.scale);
      f = clamp4(f, vdupq_n_f32(static_cast<float>(ep.out_min - ep.out_zero_point)),
                 vdupq_n_f32(static_cast<float>(ep.out_max - ep.out_zero_point)));
      const int32x4_t q = vaddq_s32(vcvtnq_s32_f32(f), vdupq_n_s32(ep.out_zero_point));
      const uint32_t bytes = narrow4_u8(q);
      std::memcpy(c, &bytes, cols.n);
      return;
    }
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      int32x4_t v = vshlq_s32(wrap_addq_s32(x, cols.bias), cols.left);  // wraps modulo 2^32
      v = vqrdmulhq_s32(v, cols.multiplier);
      // -1 for negative v where the right shift is not 0, then srshl rounds ties up
      const int32x4_t fixup = vshrq_n_s32(vandq_s32(v, cols.round_mask), 31);
      v = vrshlq_s32(vqaddq_s32(v, fixup), cols.neg_right);
      // clamp(zc + v, lo, hi) without overflow: clamp v to [lo - zc, hi - zc], then add zc
      v = vmaxq_s32(v, vdupq_n_s32(ep.out_min - ep.out_zero_point));
      v = vminq_s32(v, vdupq_n_s32(ep.out_max - ep.out_zero_point));
      const uint32_t bytes = narrow4_u8(vaddq_s32(v, vdupq_n_s32(ep.out_zero_point)));
      std::memcpy(c, &bytes, cols.n);
      return;
    }
    case QGEMM_OUTPUT_F32: {
      const float32x4_t s = vmulq_n_f32(cols.b_scale, ep.a_scale[row * ep.a_scale_stride]);
      float32x4_t f = vfmaq_f32(cols.bias_f32, vcvtq_f32_s32(x), s);  // one rounding, as fmaf
      if (ep.f32_clamp) f = clamp4(f, vdupq_n_f32(ep.f32_min), vdupq_n_f32(ep.f32_max));
      if (cols.n == 4) {
        vst1q_f32(static_cast<float*>(c), f);
      } else {
        float tmp[4];
        vst1q_f32(tmp, f);
        std::memcpy(c, tmp, cols.n * sizeof(float));
      }
      return;
    }
    default:
      return;
  }
}

// The end of a NEON tile of R rows x NR columns whose dot' sums are in `dot` (R x NR int32,
// row-major): add the partial sums of earlier K blocks, then either keep the sums for the next
// block or run the epilogue on the valid corner, 4 columns at a time so that the per-column
// parameters are loaded once for all rows.
template <size_t R, size_t NR>
inline void finish_tile_neon(int32_t* dot, const tile_args& t) {
  static_assert(NR % 4 == 0, "whole q registers of int32 columns");
  if (!t.first_k || !t.last_k) {
    for (size_t m = 0; m < R; ++m) {
      int32_t* p = t.partial + m * t.ld_partial;
      for (size_t h = 0; h < NR; h += 4) {
        int32x4_t v = vld1q_s32(dot + m * NR + h);
        // the partial buffer has a whole NR-wide slot per tile (ld_partial = nc, a multiple
        // of NR), so whole vectors stay inside it; columns >= t.n are never used
        if (!t.first_k) v = wrap_addq_s32(v, vld1q_s32(p + h));
        if (!t.last_k)
          vst1q_s32(p + h, v);
        else
          vst1q_s32(dot + m * NR + h, v);
      }
    }
    if (!t.last_k) return;
  }

  const epilogue_plan& ep = *t.ep;
  const size_t out_bytes = output_elem_bytes(ep.output);
  for (size_t h = 0; h < t.n; h += 4) {
    const size_t n = t.n - h < 4 ? t.n - h : 4;
    const columns4 cols = load_columns4(ep, t.col + h, n);
    char* c = static_cast<char*>(t.c) + h * out_bytes;
    for (size_t m = 0; m < R; ++m)
      epilogue_row4(vld1q_s32(dot + m * NR + h), t.row_sum[m], t.row + m, cols, ep,
                    c + m * t.ldc * out_bytes);
  }
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_ARM_EPILOGUE_NEON_H
