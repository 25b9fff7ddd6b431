// End to end, as a user does it: calibrate and quantize two float matrices with the toolkit,
// multiply them with qgemm's float32 (dequantizing) epilogue, and compare with the float product.
//
// The bound. With x = s (q - z) + e and |e| <= s/2 for every element inside the calibrated
// range (calibration from the data's own min/max or max|x| puts every element inside), the
// product of the dequantized inputs differs from the float product by at most
//     sum_k ( |a_k| sB/2 + |b_k| sA/2 + sA sB / 4 )
// per output. qgemm's integer part is exact; the epilogue adds one rounding of sA*sB (2^-24
// relative) and one of the fused multiply-add (half an ulp of the result), and the float
// reference itself (a double sum here) adds nothing that matters. The test allows the sum of
// those terms and nothing more.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "qgemm/qgemm.hpp"

namespace {

struct float_matrix {
  int64_t rows, cols;
  std::vector<float> v;
  float at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
};

float_matrix random_matrix(int64_t rows, int64_t cols, std::mt19937& rng, float lo, float hi) {
  float_matrix m{rows, cols, std::vector<float>(static_cast<size_t>(rows * cols))};
  std::uniform_real_distribution<float> d(lo, hi);
  for (auto& x : m.v) x = d(rng);
  return m;
}

void check_dequantized_product(qgemm_isa isa, bool per_column_weights, bool unsigned_a) {
  std::mt19937 rng(2024 + per_column_weights * 2 + unsigned_a);
  const int64_t M = 37, N = 45, K = 129;
  const float_matrix a = random_matrix(M, K, rng, -1.0f, 3.0f);    // activations, asymmetric
  float_matrix b = random_matrix(K, N, rng, -0.5f, 0.5f);           // weights
  for (int64_t n = 0; n < N; ++n)                                   // channels of unequal range
    for (int64_t k = 0; k < K; ++k) b.v[static_cast<size_t>(k * N + n)] *= 1.0f + n % 5;

  // A: asymmetric, per tensor, u8 or s8.
  const qgemm_qparams pa = qgemm::calibrate_asymmetric(a.v, qgemm::qrange_from_bits(8, !unsigned_a));
  std::vector<uint8_t> qa(a.v.size());
  ASSERT_EQ(qgemm_quantize(a.v.data(), a.v.size(), &pa, unsigned_a ? QGEMM_U8 : QGEMM_S8, qa.data()),
            QGEMM_OK);

  // B: symmetric int8, per tensor or per output channel (column).
  std::vector<int8_t> qb(b.v.size());
  std::vector<float> sb(static_cast<size_t>(N));
  std::vector<qgemm_qparams> pb(static_cast<size_t>(N));
  if (per_column_weights) {
    for (int64_t n = 0; n < N; ++n) {
      std::vector<float> column(static_cast<size_t>(K));
      for (int64_t k = 0; k < K; ++k) column[static_cast<size_t>(k)] = b.at(k, n);
      pb[static_cast<size_t>(n)] = qgemm::calibrate_symmetric(column, 8);
      const std::vector<int8_t> qc = qgemm::quantize<int8_t>(column, pb[static_cast<size_t>(n)]);
      for (int64_t k = 0; k < K; ++k) qb[static_cast<size_t>(k * N + n)] = qc[static_cast<size_t>(k)];
    }
  } else {
    const qgemm_qparams p = qgemm::calibrate_symmetric(b.v, 8);
    qb = qgemm::quantize<int8_t>(b.v, p);
    for (auto& x : pb) x = p;
  }
  for (int64_t n = 0; n < N; ++n) sb[static_cast<size_t>(n)] = static_cast<float>(pb[static_cast<size_t>(n)].scale);
  const float sa = static_cast<float>(pa.scale);

  const qgemm_operand A{unsigned_a ? QGEMM_U8 : QGEMM_S8, QGEMM_NO_TRANS, qa.data(), K, pa.zero_point, nullptr};
  const qgemm_operand B{QGEMM_S8, QGEMM_NO_TRANS, qb.data(), N, 0, nullptr};
  const qgemm_epilogue e = qgemm_epilogue_f32(&sa, 0, sb.data(), per_column_weights, nullptr);
  const qgemm::packed_b weights(isa, K, N, B);
  std::vector<float> c(static_cast<size_t>(M * N));
  qgemm::gemm(M, N, K, A, weights, e, c.data(), N);

  double worst_ratio = 0;
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      double exact = 0, bound = 0;
      const double sbn = sb[static_cast<size_t>(n)];
      for (int64_t k = 0; k < K; ++k) {
        exact += double{a.at(m, k)} * b.at(k, n);
        bound += std::fabs(a.at(m, k)) * sbn / 2 + std::fabs(b.at(k, n)) * sa / 2 + sa * sbn / 4;
      }
      const double got = c[static_cast<size_t>(m * N + n)];
      bound += std::fabs(got) * std::ldexp(1.0, -22) + 1e-6;  // the two float roundings
      ASSERT_LE(std::fabs(got - exact), bound) << "m=" << m << " n=" << n;
      worst_ratio = std::max(worst_ratio, std::fabs(got - exact) / bound);
    }
  }
  // The bound is attained only when every rounding error lines up; typical use is far inside.
  EXPECT_LT(worst_ratio, 0.5);

}

TEST(EndToEnd, QuantizeMultiplyDequantizeStaysWithinTheBound) {
  for (qgemm_isa isa : qgemm::available_isas()) {
    SCOPED_TRACE(qgemm_isa_name(isa));
    check_dequantized_product(isa, /*per_column_weights=*/false, /*unsigned_a=*/true);
    check_dequantized_product(isa, /*per_column_weights=*/true, /*unsigned_a=*/true);
    check_dequantized_product(isa, /*per_column_weights=*/true, /*unsigned_a=*/false);
  }
}

TEST(EndToEnd, QuantizationErrorReportOfActivations) {
  std::mt19937 rng(5);
  const float_matrix a = random_matrix(64, 64, rng, -1.0f, 3.0f);
  const qgemm_qparams p = qgemm::calibrate_asymmetric(a.v, qgemm::qrange_from_bits(8, false));
  const std::vector<float> back = qgemm::dequantize(qgemm::quantize<uint8_t>(a.v, p), p);
  const qgemm_error_report r = qgemm::error_report(a.v, back);
  EXPECT_LE(r.max_abs_error, p.scale / 2 * (1 + 1e-6));
  // Uniform rounding error has variance s^2/12: SQNR of 8-bit data over a 4-wide range ~ 45 dB.
  EXPECT_NEAR(r.mse, p.scale * p.scale / 12, p.scale * p.scale / 12 * 0.2);
  EXPECT_GT(r.sqnr_db, 40.0);
}

}  // namespace
