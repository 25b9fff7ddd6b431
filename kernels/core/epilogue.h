// Scalar building blocks of the four epilogues (SEMANTICS.md §3), written once for the
// production path. SIMD kernels vectorise the same steps; the portable kernel uses these as they
// are. The reference (kernels/ref) has its own, deliberately separate, int64 version: a bug here
// cannot hide behind the oracle.
//
// All int32 arithmetic that may wrap is done in uint32 (defined behaviour, two's complement).
#ifndef QGEMM_KERNELS_CORE_EPILOGUE_H
#define QGEMM_KERNELS_CORE_EPILOGUE_H

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/kernel.h"

namespace qgemm::detail {
inline namespace QGEMM_KERNEL_NAMESPACE {

inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrap_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

// TensorFlow Lite's SaturatingRoundingDoublingHighMul.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));  // truncating division
}

// TensorFlow Lite's RoundingDivideByPOT (round half away from zero), exponent in [0, 31].
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// MultiplyByQuantizedMultiplier with the left shift wrapping modulo 2^32 (the contract).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right);
}

// Round half to even for |f| <= 2^22 in the default rounding mode, without a libm call or an
// SSE4.1 instruction: adding 1.5 * 2^23 leaves no fraction bits, so the FPU rounds once, to
// nearest even. Exact because the caller has clamped f to a small range first (and because the
// library is built with -ffp-contract=off, so nothing fuses the add into a multiply).
inline float round_half_even_small(float f) {
  const float magic = 12582912.0f;  // 1.5 * 2^23
  const float t = f + magic;  // not folded: without -ffast-math the pair is no identity
  return t - magic;
}

// acc = dot' + row_sum'[m] * neg_zb'[n] + za'[m] * col_off'[n]   (mod 2^32)
inline int32_t corrected_acc(int32_t dot, int32_t row_sum, int32_t za, const epilogue_plan& ep,
                             size_t col) {
  const int32_t neg_zb = ep.neg_zb[col * ep.neg_zb_stride];
  return wrap_add(wrap_add(dot, wrap_mul(row_sum, neg_zb)), wrap_mul(za, ep.col_off[col]));
}

inline int32_t requant_float_one(int32_t x, const epilogue_plan& ep, size_t col) {
  float f = static_cast<float>(x);
  f = f * ep.scale[col * ep.scale_stride];
  const float lo = static_cast<float>(ep.out_min - ep.out_zero_point);
  const float hi = static_cast<float>(ep.out_max - ep.out_zero_point);
  f = f < lo ? lo : f;
  f = f > hi ? hi : f;
  return static_cast<int32_t>(round_half_even_small(f)) + ep.out_zero_point;
}

inline int32_t requant_fixed_one(int32_t x, const epilogue_plan& ep, size_t col) {
  const size_t i = col * ep.multiplier_stride;
  const int64_t v = int64_t{ep.out_zero_point} +
                    multiply_by_quantized_multiplier(x, ep.multiplier[i], ep.shift[i]);
  return static_cast<int32_t>(v < ep.out_min ? ep.out_min : (v > ep.out_max ? ep.out_max : v));
}

inline float dequant_one(int32_t acc, const epilogue_plan& ep, size_t row, size_t col) {
  const float s = ep.a_scale[row * ep.a_scale_stride] * ep.b_scale[col * ep.b_scale_stride];
  const float bias = ep.bias_f32 ? ep.bias_f32[col] : 0.0f;
  float f = std::fma(static_cast<float>(acc), s, bias);
  if (ep.f32_clamp) {
    f = f < ep.f32_min ? ep.f32_min : f;
    f = f > ep.f32_max ? ep.f32_max : f;
  }
  return f;
}

// Applies the epilogue to one row segment of a tile: dot' values for columns [col, col + n) of
// row `row`, written to `c` (C at (row, col)).
inline void epilogue_row(const int32_t* dot, size_t n, size_t row, size_t col, int32_t row_sum,
                         const epilogue_plan& ep, void* c) {
  const int32_t za = wrap_add(ep.za[row * ep.za_stride], ep.za_shift);
  switch (ep.output) {
    case QGEMM_OUTPUT_S32: {
      auto* out = static_cast<int32_t*>(c);
      for (size_t j = 0; j < n; ++j) {
        int32_t x = corrected_acc(dot[j], row_sum, za, ep, col + j);
        out[j] = ep.bias ? wrap_add(x, ep.bias[col + j]) : x;
      }
      break;
    }
    case QGEMM_OUTPUT_REQUANT_FLOAT:
    case QGEMM_OUTPUT_REQUANT_FIXED: {
      const bool fixed = ep.output == QGEMM_OUTPUT_REQUANT_FIXED;
      auto* out = static_cast<uint8_t*>(c);
      for (size_t j = 0; j < n; ++j) {
        int32_t x = corrected_acc(dot[j], row_sum, za, ep, col + j);
        if (ep.bias) x = wrap_add(x, ep.bias[col + j]);
        const int32_t q = fixed ? requant_fixed_one(x, ep, col + j)
                                : requant_float_one(x, ep, col + j);
        out[j] = static_cast<uint8_t>(q);  // two's complement byte for int8
      }
      break;
    }
    case QGEMM_OUTPUT_F32: {
      auto* out = static_cast<float*>(c);
      for (size_t j = 0; j < n; ++j)
        out[j] = dequant_one(corrected_acc(dot[j], row_sum, za, ep, col + j), ep, row, col + j);
      break;
    }
    default:  // rejected by validation
      break;
  }
}


// The end of a portable tile computation: combine with the partial sums of earlier K blocks,
// then either keep the sums for the next block or run the epilogue on the valid m x n corner.
template <size_t MR, size_t NR>
inline void finish_tile(int32_t (&acc)[MR][NR], const tile_args& t) {
  if (!t.first_k) {
    for (size_t i = 0; i < t.m; ++i)
      for (size_t j = 0; j < t.n; ++j)
        acc[i][j] = wrap_add(acc[i][j], t.partial[i * t.ld_partial + j]);
  }
  if (!t.last_k) {
    for (size_t i = 0; i < t.m; ++i)
      std::memcpy(t.partial + i * t.ld_partial, acc[i], t.n * sizeof(int32_t));
    return;
  }
  const size_t row_bytes = t.ldc * output_elem_bytes(t.ep->output);
  for (size_t i = 0; i < t.m; ++i)
    epilogue_row(acc[i], t.n, t.row + i, t.col, t.row_sum[i], *t.ep,
                 static_cast<char*>(t.c) + i * row_bytes);
}

}  // namespace QGEMM_KERNEL_NAMESPACE
}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_EPILOGUE_H
