#include "ref/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qgemm::ref {
namespace {

int64_t element(const qgemm_operand& x, int64_t row, int64_t col) {
  // (row, col) of op(X); the stored matrix is transposed when x.trans is set.
  const int64_t index = x.trans == QGEMM_TRANS ? col * x.ld + row : row * x.ld + col;
  if (x.type == QGEMM_U8) return static_cast<const uint8_t*>(x.data)[index];
  return static_cast<const int8_t*>(x.data)[index];
}

// The int32 whose two's-complement bits are v modulo 2^32.
int32_t wrap32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))); }

}  // namespace

int32_t accumulator(int64_t m, int64_t n, int64_t K, const qgemm_operand& a,
                    const qgemm_operand& b) {
  const int64_t za = a.zero_points ? a.zero_points[m] : a.zero_point;
  const int64_t zb = b.zero_points ? b.zero_points[n] : b.zero_point;
  uint64_t sum = 0;  // exact modulo 2^64, and so modulo 2^32
  for (int64_t k = 0; k < K; ++k)
    sum += static_cast<uint64_t>((element(a, m, k) - za) * (element(b, k, n) - zb));
  return static_cast<int32_t>(static_cast<uint32_t>(sum));
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  const int32_t ab_x2_high32 = static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
  return overflow ? std::numeric_limits<int32_t>::max() : ab_x2_high32;
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int64_t mask = (int64_t{1} << exponent) - 1;
  const int64_t remainder = int64_t{x} & mask;
  const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  // x >> exponent: arithmetic shift, i.e. floor division by 2^exponent
  const int64_t floor_div = (int64_t{x} - remainder) / (int64_t{1} << exponent);
  return static_cast<int32_t>(floor_div + (remainder > threshold ? 1 : 0));
}

int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t shifted = wrap32(int64_t{x} * (int64_t{1} << left_shift));
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier),
                                right_shift);
}

void gemm(int64_t M, int64_t N, int64_t K, const qgemm_operand& a, const qgemm_operand& b,
          const qgemm_epilogue& e, void* C, int64_t ldc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const int32_t acc = accumulator(m, n, K, a, b);
      const int64_t at = m * ldc + n;
      switch (e.output) {
        case QGEMM_OUTPUT_S32: {
          const int64_t bias = e.bias ? e.bias[n] : 0;
          static_cast<int32_t*>(C)[at] = wrap32(acc + bias);
          break;
        }
        case QGEMM_OUTPUT_REQUANT_FLOAT: {
          const int32_t x = wrap32(int64_t{acc} + (e.bias ? e.bias[n] : 0));
          float f = static_cast<float>(x);
          f = f * e.scale[e.scale_per_column ? n : 0];
          f = std::min(std::max(f, static_cast<float>(e.out_min - e.out_zero_point)),
                       static_cast<float>(e.out_max - e.out_zero_point));
          const int32_t q = static_cast<int32_t>(std::nearbyint(f)) + e.out_zero_point;
          if (e.out_type == QGEMM_U8)
            static_cast<uint8_t*>(C)[at] = static_cast<uint8_t>(q);
          else
            static_cast<int8_t*>(C)[at] = static_cast<int8_t>(q);
          break;
        }
        case QGEMM_OUTPUT_REQUANT_FIXED: {
          const int32_t x = wrap32(int64_t{acc} + (e.bias ? e.bias[n] : 0));
          const int64_t i = e.multiplier_per_column ? n : 0;
          const int64_t v =
              int64_t{e.out_zero_point} + multiply_by_quantized_multiplier(x, e.multiplier[i], e.shift[i]);
          const int32_t q = static_cast<int32_t>(std::clamp<int64_t>(v, e.out_min, e.out_max));
          if (e.out_type == QGEMM_U8)
            static_cast<uint8_t*>(C)[at] = static_cast<uint8_t>(q);
          else
            static_cast<int8_t*>(C)[at] = static_cast<int8_t>(q);
          break;
        }
        case QGEMM_OUTPUT_F32: {
          const float s = e.a_scale[e.a_scale_per_row ? m : 0] * e.b_scale[e.b_scale_per_column ? n : 0];
          float f = std::fma(static_cast<float>(acc), s, e.bias_f32 ? e.bias_f32[n] : 0.0f);
          f = std::min(std::max(f, e.f32_min), e.f32_max);
          static_cast<float*>(C)[at] = f;
          break;
        }
        default:  // not a valid epilogue: callers pass only valid arguments
          break;
      }
    }
  }
}

}  // namespace qgemm::ref
