// Tests of the quantization toolkit against SEMANTICS.md section 4 (and 3c for
// QuantizeMultiplier). The worked examples of the contract are checked exactly; every rejected
// input is checked for its status, for a message that names the offending argument, and for
// outputs left untouched.
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "qgemm/qgemm.h"

namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr float kInff = std::numeric_limits<float>::infinity();

const qgemm_qrange kInt8 = {-128, 127};
const qgemm_qrange kUint8 = {0, 255};

// The worked-example data of SEMANTICS §4, as float32.
const std::vector<float> kExampleData = {0.21535037f, 1.2962357f, -1.0161772f};

qgemm_qparams make_params(double scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  qgemm_qparams params;
  std::memset(&params, 0, sizeof params);
  params.scale = scale;
  params.zero_point = zero_point;
  params.qmin = qmin;
  params.qmax = qmax;
  return params;
}

// A recognisable byte pattern for outputs that a rejected call must not touch.
template <typename T>
T sentinel() {
  T value;
  std::memset(&value, 0x5A, sizeof value);
  return value;
}

template <typename T>
bool unchanged(const T& value) {
  const T expected = sentinel<T>();
  return std::memcmp(&value, &expected, sizeof value) == 0;
}

std::string last_error() { return qgemm_last_error(); }

std::vector<int8_t> quantize_s8(const std::vector<float>& x, const qgemm_qparams& params) {
  std::vector<int8_t> q(x.size(), 0);
  EXPECT_EQ(qgemm_quantize(x.data(), x.size(), &params, QGEMM_S8, q.data()), QGEMM_OK)
      << last_error();
  return q;
}

// ---------------------------------------------------------------------------------------------
// Worked examples of SEMANTICS §4
// ---------------------------------------------------------------------------------------------

TEST(QuantWorkedExamples, RangeMinus5To10OntoMinus30To50) {
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-5.0, 10.0, {-30, 50}, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 0.1875);
  EXPECT_EQ(params.zero_point, -3);
  EXPECT_EQ(params.qmin, -30);
  EXPECT_EQ(params.qmax, 50);
}

TEST(QuantWorkedExamples, RangeMinus2To3Int8) {
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-2.0, 3.0, kInt8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 5.0 / 255.0);
  EXPECT_DOUBLE_EQ(params.scale, 0.0196078431372549);
  EXPECT_EQ(params.zero_point, -26);
  EXPECT_EQ(params.qmin, -128);
  EXPECT_EQ(params.qmax, 127);
}

TEST(QuantWorkedExamples, RangeMinus100To200Int8QuantizesTenToMinus34) {
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-100.0, 200.0, kInt8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 300.0 / 255.0);
  EXPECT_EQ(params.zero_point, -43);
  // 10 / s = 8.5: the tie is rounded after adding z (-34.5 -> -34), not before (8 - 43 = -35).
  EXPECT_EQ(quantize_s8({10.0f}, params), std::vector<int8_t>{-34});
}

TEST(QuantWorkedExamples, AsymmetricInt8FromData) {
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_asymmetric(kExampleData.data(), kExampleData.size(), kInt8, &params),
            QGEMM_OK);
  const double expected_scale =
      (static_cast<double>(1.2962357f) - static_cast<double>(-1.0161772f)) / 255.0;
  EXPECT_EQ(params.scale, expected_scale);
  EXPECT_NEAR(params.scale, 0.009068285, 1e-9);
  EXPECT_EQ(params.zero_point, -16);
  EXPECT_EQ(quantize_s8(kExampleData, params), (std::vector<int8_t>{8, 127, -128}));
}

TEST(QuantWorkedExamples, SymmetricInt8FromData) {
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_symmetric(kExampleData.data(), kExampleData.size(), 8, &params),
            QGEMM_OK);
  EXPECT_EQ(params.scale, static_cast<double>(1.2962357f) / 127.0);
  EXPECT_NEAR(params.scale, 0.01020658016, 1e-11);
  EXPECT_EQ(params.zero_point, 0);
  EXPECT_EQ(params.qmin, -127);
  EXPECT_EQ(params.qmax, 127);
  EXPECT_EQ(quantize_s8(kExampleData, params), (std::vector<int8_t>{21, 127, -100}));
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

TEST(QuantRange, FromBitsAtBothEnds) {
  struct Case {
    int32_t bits, is_signed, qmin, qmax;
  };
  const Case cases[] = {{2, 1, -2, 1},         {2, 0, 0, 3},       {8, 1, -128, 127},
                        {8, 0, 0, 255},        {16, 1, -32768, 32767}, {16, 0, 0, 65535},
                        {4, 7, -8, 7} /* any non-zero is signed */};
  for (const Case& c : cases) {
    qgemm_qrange range = {99, 99};
    ASSERT_EQ(qgemm_qrange_from_bits(c.bits, c.is_signed, &range), QGEMM_OK);
    EXPECT_EQ(range.qmin, c.qmin) << "bits " << c.bits << " signed " << c.is_signed;
    EXPECT_EQ(range.qmax, c.qmax) << "bits " << c.bits << " signed " << c.is_signed;
  }
}

TEST(QuantRange, UnsignedRangesPutZeroAtTheRightPlace) {
  qgemm_qparams params;
  // [-2, 3] on uint8: z = round(0 + 2 / (5/255)) = 102.
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-2.0, 3.0, kUint8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 5.0 / 255.0);
  EXPECT_EQ(params.zero_point, 102);
  // All-positive data is widened to hold 0, which lands on qmin.
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(1.0, 3.0, kUint8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 3.0 / 255.0);
  EXPECT_EQ(params.zero_point, 0);
  // All-negative data: 0 lands on qmax.
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-3.0, -1.0, kUint8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 3.0 / 255.0);
  EXPECT_EQ(params.zero_point, 255);
  // 16-bit unsigned.
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(-1.0, 1.0, {0, 65535}, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 2.0 / 65535.0);
  EXPECT_EQ(params.zero_point, 32768);  // round(32767.5) is a tie: even 32768
}

TEST(QuantRange, TwoBitAndSixteenBitCalibration) {
  const std::vector<float> x = {-1.5f, 0.25f, 3.0f};
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_symmetric(x.data(), x.size(), 2, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 3.0);  // max|x| / (2^1 - 1)
  EXPECT_EQ(params.qmin, -1);
  EXPECT_EQ(params.qmax, 1);
  ASSERT_EQ(qgemm_calibrate_symmetric(x.data(), x.size(), 16, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 3.0 / 32767.0);
  EXPECT_EQ(params.qmin, -32767);
  EXPECT_EQ(params.qmax, 32767);
  qgemm_qrange range;
  ASSERT_EQ(qgemm_qrange_from_bits(2, 1, &range), QGEMM_OK);
  ASSERT_EQ(qgemm_calibrate_asymmetric(x.data(), x.size(), range, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 4.5 / 3.0);
  EXPECT_EQ(params.zero_point, -1);  // round(-2 + 1.5 / 1.5) = -1
  std::vector<int8_t> q(x.size());
  ASSERT_EQ(qgemm_quantize(x.data(), x.size(), &params, QGEMM_S8, q.data()), QGEMM_OK);
  EXPECT_EQ(q, (std::vector<int8_t>{-2, -1, 1}));  // -2, round(-0.83) = -1, round(1) = 1
}

// ---------------------------------------------------------------------------------------------
// Rounding, clamping, zero data
// ---------------------------------------------------------------------------------------------

TEST(QuantRounding, HalfToEvenAfterAddingAnOddZeroPoint) {
  // s = 0.5 makes x / s exact, so every x below lands exactly on a tie of x / s + z.
  const std::vector<float> x = {0.25f, -0.25f, 0.75f, 1.25f, -0.75f};
  // z = 3: 3.5 -> 4, 2.5 -> 2, 4.5 -> 4, 5.5 -> 6, 1.5 -> 2. Rounding x/s first would give
  // 3, 3, 5, 5, 1 (0.5 -> 0, -0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -1.5 -> -2, then + 3).
  EXPECT_EQ(quantize_s8(x, make_params(0.5, 3, -128, 127)), (std::vector<int8_t>{4, 2, 4, 6, 2}));
  // z = -3: -2.5 -> -2, -3.5 -> -4, -1.5 -> -2, -0.5 -> 0 (as -0), -4.5 -> -4.
  EXPECT_EQ(quantize_s8(x, make_params(0.5, -3, -128, 127)),
            (std::vector<int8_t>{-2, -4, -2, 0, -4}));
}

TEST(QuantRounding, IgnoresTheCallersRoundingMode) {
  // std::nearbyint would follow FE_UPWARD and send every tie up; the contract's ties-to-even
  // must not depend on the caller's floating-point environment.
  const std::vector<float> x = {0.25f, -0.25f, 0.75f, 1.25f, -0.75f};
  const int previous = std::fegetround();
  ASSERT_EQ(std::fesetround(FE_UPWARD), 0);
  // s = 0.5 keeps x / s + z exact, so only the final rounding could move.
  const std::vector<int8_t> q = quantize_s8(x, make_params(0.5, 3, -128, 127));
  std::fesetround(previous);
  EXPECT_EQ(q, (std::vector<int8_t>{4, 2, 4, 6, 2}));
}

TEST(QuantRounding, ClampsToTheParamsRangeNotTheType) {
  const std::vector<float> x = {-1000.0f, -0.6f, 0.6f, 1000.0f};
  EXPECT_EQ(quantize_s8(x, make_params(0.1, 0, -127, 127)),
            (std::vector<int8_t>{-127, -6, 6, 127}));
  EXPECT_EQ(quantize_s8(x, make_params(0.1, 2, -5, 10)), (std::vector<int8_t>{-5, -4, 8, 10}));
  // A tiny scale makes x / s infinite; it still clamps.
  EXPECT_EQ(quantize_s8(x, make_params(1e-300, 0, -127, 127)),
            (std::vector<int8_t>{-127, -127, 127, 127}));
}

TEST(QuantSymmetricUnsigned, NegativesClampToZero) {
  const std::vector<float> x = {-1.0f, 0.5f, 2.55f, -0.001f};
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_symmetric_unsigned(x.data(), x.size(), 8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, static_cast<double>(2.55f) / 255.0);
  EXPECT_EQ(params.zero_point, 0);
  EXPECT_EQ(params.qmin, 0);
  EXPECT_EQ(params.qmax, 255);
  std::vector<uint8_t> q(x.size());
  ASSERT_EQ(qgemm_quantize(x.data(), x.size(), &params, QGEMM_U8, q.data()), QGEMM_OK);
  EXPECT_EQ(q, (std::vector<uint8_t>{0, 50, 255, 0}));
  ASSERT_EQ(qgemm_calibrate_symmetric_unsigned(x.data(), x.size(), 16, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, static_cast<double>(2.55f) / 65535.0);
  EXPECT_EQ(params.qmax, 65535);
}

TEST(QuantZeroData, EverySchemeGivesScaleOne) {
  const std::vector<float> zeros = {0.0f, -0.0f, 0.0f};
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_asymmetric(zeros.data(), zeros.size(), kInt8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  ASSERT_EQ(qgemm_calibrate_asymmetric(zeros.data(), zeros.size(), kUint8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  ASSERT_EQ(qgemm_calibrate_asymmetric(zeros.data(), zeros.size(), {5, 20}, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 5);  // unsigned: z = qmin
  ASSERT_EQ(qgemm_calibrate_asymmetric_range(0.0, 0.0, {-30, 50}, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  ASSERT_EQ(qgemm_calibrate_symmetric(zeros.data(), zeros.size(), 8, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  ASSERT_EQ(qgemm_calibrate_symmetric_unsigned(zeros.data(), zeros.size(), 8, &params),
            QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  const std::vector<float> negatives = {-1.0f, -2.0f};  // no positive data: clip value 0
  ASSERT_EQ(qgemm_calibrate_symmetric_unsigned(negatives.data(), negatives.size(), 8, &params),
            QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  ASSERT_EQ(qgemm_calibrate_percentile(zeros.data(), zeros.size(), 8, 50.0, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
}

// ---------------------------------------------------------------------------------------------
// Percentile (NumPy linear)
// ---------------------------------------------------------------------------------------------

TEST(QuantPercentile, MatchesNumpyLinear) {
  // |x| sorted: [1, 2, 3, 4]. np.percentile([1, 2, 3, 4], q) = 2.5 (q=50), 1.75 (q=25),
  // 3.25 (q=75), 4 (q=100), 1 + 0.03 (q=1: rank 0.03).
  const std::vector<float> x = {-4.0f, 1.0f, 3.0f, -2.0f};
  struct Case {
    double p, clip;
  };
  const Case cases[] = {{50.0, 2.5}, {25.0, 1.75}, {75.0, 3.25}, {100.0, 4.0}, {1.0, 1.03}};
  for (const Case& c : cases) {
    qgemm_qparams params;
    ASSERT_EQ(qgemm_calibrate_percentile(x.data(), x.size(), 8, c.p, &params), QGEMM_OK);
    EXPECT_DOUBLE_EQ(params.scale, c.clip / 127.0) << "p = " << c.p;
    EXPECT_EQ(params.zero_point, 0);
    EXPECT_EQ(params.qmin, -127);
    EXPECT_EQ(params.qmax, 127);
  }
}

TEST(QuantPercentile, HundredEqualsSymmetricAndValuesClamp) {
  std::vector<float> x;
  for (int i = 0; i < 101; ++i) x.push_back((i % 2 ? -0.01f : 0.01f) * static_cast<float>(i));
  qgemm_qparams percentile, symmetric;
  ASSERT_EQ(qgemm_calibrate_percentile(x.data(), x.size(), 8, 100.0, &percentile), QGEMM_OK);
  ASSERT_EQ(qgemm_calibrate_symmetric(x.data(), x.size(), 8, &symmetric), QGEMM_OK);
  EXPECT_EQ(percentile.scale, symmetric.scale);
  EXPECT_EQ(percentile.scale, static_cast<double>(0.01f * 100.0f) / 127.0);
  // p = 50 of 101 values clips at the median |x|, x[50]; the largest values saturate.
  ASSERT_EQ(qgemm_calibrate_percentile(x.data(), x.size(), 8, 50.0, &percentile), QGEMM_OK);
  EXPECT_EQ(percentile.scale, static_cast<double>(0.01f * 50.0f) / 127.0);
  const std::vector<int8_t> q = quantize_s8({x[100], x[99]}, percentile);
  EXPECT_EQ(q, (std::vector<int8_t>{127, -127}));
}

TEST(QuantPercentile, SingleElement) {
  const float x = -0.5f;
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_percentile(&x, 1, 4, 37.0, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 0.5 / 7.0);
  EXPECT_EQ(params.qmin, -7);
  EXPECT_EQ(params.qmax, 7);
}

// Found by fuzz_quant: a percentile interpolated between 0 and a tiny value is a subnormal
// double (1e-30 * 1e-293 = 1e-323) whose scale clip / 127 underflows to 0. Such a clip is 0 at
// float precision, so it gets the zero clip's s = 1, never an invalid s = 0.
TEST(QuantPercentile, ClipThatUnderflowsTheScaleGivesScaleOne) {
  const float x[] = {0.0f, 1e-30f};
  qgemm_qparams params;
  ASSERT_EQ(qgemm_calibrate_percentile(x, 2, 8, 1e-291, &params), QGEMM_OK);
  EXPECT_EQ(params.scale, 1.0);
  EXPECT_EQ(params.zero_point, 0);
  EXPECT_EQ(params.qmax, 127);
}

// ---------------------------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------------------------

template <typename T>
void expect_round_trip(const std::vector<float>& x, const qgemm_qparams& params,
                       qgemm_type type) {
  std::vector<T> q(x.size());
  ASSERT_EQ(qgemm_quantize(x.data(), x.size(), &params, type, q.data()), QGEMM_OK)
      << last_error();
  std::vector<float> back(x.size());
  ASSERT_EQ(qgemm_dequantize(q.data(), type, q.size(), &params, back.data()), QGEMM_OK)
      << last_error();
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_GE(q[i], params.qmin);
    ASSERT_LE(q[i], params.qmax);
    // s/2 from the rounding, plus the float rounding of x' (half an ulp), plus slack for the
    // double arithmetic deciding near-ties.
    const double error = std::fabs(static_cast<double>(x[i]) - static_cast<double>(back[i]));
    const double bound =
        params.scale / 2 * (1 + 1e-12) + std::ldexp(std::fabs(static_cast<double>(back[i])), -24);
    ASSERT_LE(error, bound) << "type " << type << " i " << i << " x " << x[i] << " q "
                            << static_cast<int>(q[i]) << " s " << params.scale;
  }
}

TEST(QuantRoundTrip, ErrorAtMostHalfAScaleForEveryStorageType) {
  std::mt19937 generator(12345);
  std::uniform_real_distribution<float> distribution(-3.0f, 7.0f);
  std::vector<float> x(4096);
  for (float& v : x) v = distribution(generator);

  for (const int32_t bits : {8, 16}) {
    for (const int32_t is_signed : {1, 0}) {
      qgemm_qrange range;
      ASSERT_EQ(qgemm_qrange_from_bits(bits, is_signed, &range), QGEMM_OK);
      qgemm_qparams params;
      ASSERT_EQ(qgemm_calibrate_asymmetric(x.data(), x.size(), range, &params), QGEMM_OK);
      if (bits == 8 && is_signed) {
        expect_round_trip<int8_t>(x, params, QGEMM_S8);
        expect_round_trip<int16_t>(x, params, QGEMM_S16);
      } else if (bits == 8) {
        expect_round_trip<uint8_t>(x, params, QGEMM_U8);
        expect_round_trip<uint16_t>(x, params, QGEMM_U16);
        expect_round_trip<int16_t>(x, params, QGEMM_S16);
      } else if (is_signed) {
        expect_round_trip<int16_t>(x, params, QGEMM_S16);
      } else {
        expect_round_trip<uint16_t>(x, params, QGEMM_U16);
      }
    }
    qgemm_qparams params;
    ASSERT_EQ(qgemm_calibrate_symmetric(x.data(), x.size(), bits, &params), QGEMM_OK);
    if (bits == 8) expect_round_trip<int8_t>(x, params, QGEMM_S8);
    expect_round_trip<int16_t>(x, params, QGEMM_S16);
  }
}

TEST(QuantDequantize, ComputesValuesOutsideTheRangeToo) {
  // q = -128 lies outside the narrow [-127, 127]; dequantize is still s * (q - z).
  const int8_t q[] = {-128, 0, 127};
  const qgemm_qparams params = make_params(0.25, -1, -127, 127);
  float out[3];
  ASSERT_EQ(qgemm_dequantize(q, QGEMM_S8, 3, &params, out), QGEMM_OK);
  EXPECT_EQ(out[0], -31.75f);
  EXPECT_EQ(out[1], 0.25f);
  EXPECT_EQ(out[2], 32.0f);
  const uint16_t q16[] = {0, 65535};
  const qgemm_qparams params16 = make_params(0.1, 7, 0, 65535);
  ASSERT_EQ(qgemm_dequantize(q16, QGEMM_U16, 2, &params16, out), QGEMM_OK);
  EXPECT_EQ(out[0], static_cast<float>(0.1 * -7.0));
  EXPECT_EQ(out[1], static_cast<float>(0.1 * 65528.0));
}

// ---------------------------------------------------------------------------------------------
// Error report
// ---------------------------------------------------------------------------------------------

TEST(QuantErrorReport, HandExample) {
  const float x[] = {1.0f, 2.0f, 3.0f, 4.0f};
  const float y[] = {1.0f, 2.5f, 2.0f, 4.0f};  // errors 0, -0.5, 1, 0
  qgemm_error_report report;
  ASSERT_EQ(qgemm_error_report_compute(x, y, 4, &report), QGEMM_OK);
  EXPECT_EQ(report.sse, 1.25);
  EXPECT_EQ(report.mse, 0.3125);
  EXPECT_EQ(report.max_abs_error, 1.0);
  EXPECT_EQ(report.sqnr_db, 10.0 * std::log10(30.0 / 1.25));
  EXPECT_NEAR(report.sqnr_db, 13.802112417116, 1e-9);
}

TEST(QuantErrorReport, InfiniteSqnrAtTheEnds) {
  const float x[] = {1.0f, -2.0f};
  qgemm_error_report report;
  ASSERT_EQ(qgemm_error_report_compute(x, x, 2, &report), QGEMM_OK);
  EXPECT_EQ(report.sse, 0.0);
  EXPECT_EQ(report.max_abs_error, 0.0);
  EXPECT_EQ(report.sqnr_db, kInf);
  const float zeros[] = {0.0f, 0.0f};
  ASSERT_EQ(qgemm_error_report_compute(zeros, zeros, 2, &report), QGEMM_OK);
  EXPECT_EQ(report.sqnr_db, kInf);  // no error at all
  ASSERT_EQ(qgemm_error_report_compute(zeros, x, 2, &report), QGEMM_OK);
  EXPECT_EQ(report.sse, 5.0);
  EXPECT_EQ(report.mse, 2.5);
  EXPECT_EQ(report.max_abs_error, 2.0);
  EXPECT_EQ(report.sqnr_db, -kInf);
}

// ---------------------------------------------------------------------------------------------
// Requantization helpers
// ---------------------------------------------------------------------------------------------

TEST(QuantRequantScale, RoundsOnceFromDouble) {
  struct Case {
    double a, b, c;
  };
  // The first two are chosen so that rounding to float earlier gives another float: (0.1, 0.2,
  // 0.3) if sA*sB is rounded first, (0.02, 0.0039, 0.05) if the inputs are rounded first.
  const Case cases[] = {{0.1, 0.2, 0.3}, {0.02, 0.0039, 0.05}, {0.285, 0.08, 0.07},
                        {1.0 / 3, 1.0 / 7, 1.0 / 11}, {1e-20, 1e-20, 1e-30}};
  for (const Case& c : cases) {
    float scale = 0.0f;
    ASSERT_EQ(qgemm_requant_scale(c.a, c.b, c.c, &scale), QGEMM_OK);
    EXPECT_EQ(scale, static_cast<float>(c.a * c.b / c.c)) << c.a << " " << c.b << " " << c.c;
  }
  float scale = 0.0f;
  ASSERT_EQ(qgemm_requant_scale(0.1, 0.2, 0.3, &scale), QGEMM_OK);
  EXPECT_NE(scale, static_cast<float>(static_cast<float>(0.1 * 0.2) / 0.3));
  ASSERT_EQ(qgemm_requant_scale(0.02, 0.0039, 0.05, &scale), QGEMM_OK);
  EXPECT_NE(scale, static_cast<float>(0.02f * 0.0039f) / 0.05f);
}

TEST(QuantQuantizeMultiplier, MatchesTfLite) {
  struct Case {
    double m;
    int32_t multiplier, shift;
  };
  const Case cases[] = {
      {0.5, 1 << 30, 0},                            // frexp(0.5) = (0.5, 0)
      {1.0, 1 << 30, 1},                            // frexp(1) = (0.5, 1)
      {0.75, 1610612736, 0},                        // round(0.75 * 2^31)
      {1.0 - std::ldexp(1.0, -40), 1 << 30, 1},     // mantissa rounds up to 2^31: halve, ++shift
      {0.5 + std::ldexp(1.0, -32), 1073741825, 0},  // 2^30 + 0.5: half away from zero, not even
      {0.5 + 3 * std::ldexp(1.0, -32), 1073741826, 0},  // 2^30 + 1.5
      {0.1, 1717986918, -3},                        // 0.8 * 2^31 = 1717986918.4
      {std::ldexp(1.0, 29), 1 << 30, 30},           // the largest shift accepted
      {std::ldexp(1.0, -32), 1 << 30, -31},         // the smallest shift kept
      {std::ldexp(1.0, -32) * (1 - std::ldexp(1.0, -40)), 1 << 30, -31},  // rounds up into it
      {std::ldexp(1.0, -33), 0, 0},                 // shift -32 < -31: TFLite gives (0, 0)
      {std::ldexp(1.0, -40), 0, 0},                 // shift -39 < -31
      {4.9e-324, 0, 0},                             // subnormal
  };
  for (const Case& c : cases) {
    int32_t multiplier = -1, shift = -1;
    ASSERT_EQ(qgemm_quantize_multiplier(c.m, &multiplier, &shift), QGEMM_OK) << c.m;
    EXPECT_EQ(multiplier, c.multiplier) << "m = " << c.m;
    EXPECT_EQ(shift, c.shift) << "m = " << c.m;
  }
}

// ---------------------------------------------------------------------------------------------
// Rejected inputs: status, a message naming the argument, outputs untouched
// ---------------------------------------------------------------------------------------------

#define EXPECT_REJECTED(call, status, text)      \
  do {                                           \
    EXPECT_EQ((call), (status));                 \
    EXPECT_THAT(last_error(), HasSubstr(text));  \
  } while (0)

TEST(QuantErrors, QrangeFromBits) {
  qgemm_qrange range = sentinel<qgemm_qrange>();
  for (const int32_t bits : {-1, 0, 1, 17, 32}) {
    EXPECT_REJECTED(qgemm_qrange_from_bits(bits, 1, &range), QGEMM_ERROR_INVALID_ARGUMENT,
                    "bits = " + std::to_string(bits) + " is outside 2..16");
  }
  EXPECT_TRUE(unchanged(range));
  EXPECT_REJECTED(qgemm_qrange_from_bits(8, 1, nullptr), QGEMM_ERROR_NULL_POINTER, "out is NULL");
}

TEST(QuantErrors, CalibrateAsymmetricRange) {
  qgemm_qparams out = sentinel<qgemm_qparams>();
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(kNaN, 1.0, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "alpha is NaN");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-kInf, 1.0, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "alpha = -inf");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(0.0, kInf, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "beta = inf");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(0.0, kNaN, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "beta is NaN");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(2.0, 1.0, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "alpha = 2 > beta = 1");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1.0, 1.0, {5, 5}, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "range.qmin = 5 must be < range.qmax = 5");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1.0, 1.0, {10, -10}, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "range.qmin = 10");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1.0, 1.0, {-32769, 0}, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "range.qmin = -32769");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1.0, 1.0, {0, 65536}, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "range.qmax = 65536");
  // Finite, but the scale is not: beta - alpha overflows, or underflows to 0 after the divide.
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1e308, 1e308, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "[alpha, beta]");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(0.0, 4.9e-324, kInt8, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "[alpha, beta]");
  EXPECT_TRUE(unchanged(out));
  EXPECT_REJECTED(qgemm_calibrate_asymmetric_range(-1.0, 1.0, kInt8, nullptr),
                  QGEMM_ERROR_NULL_POINTER, "out is NULL");
}

TEST(QuantErrors, CalibrateFromData) {
  const float good[] = {1.0f, -2.0f, 3.0f, 0.5f};
  const float with_nan[] = {1.0f, 2.0f, kNaNf, 0.5f};
  const float with_inf[] = {1.0f, -kInff, 3.0f};
  qgemm_qparams out = sentinel<qgemm_qparams>();

  // Asymmetric.
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(nullptr, 4, kInt8, &out), QGEMM_ERROR_NULL_POINTER,
                  "x is NULL");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(good, 0, kInt8, &out), QGEMM_ERROR_INVALID_DATA,
                  "n = 0");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(with_nan, 4, kInt8, &out), QGEMM_ERROR_INVALID_DATA,
                  "x[2] is NaN");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(with_inf, 3, kInt8, &out), QGEMM_ERROR_INVALID_DATA,
                  "x[1] = -inf is not finite");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(good, 4, {127, -128}, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "range.qmin = 127");
  EXPECT_REJECTED(qgemm_calibrate_asymmetric(good, 4, kInt8, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "out is NULL");

  // Symmetric signed and unsigned.
  using Calibrate = qgemm_status (*)(const float*, size_t, int32_t, qgemm_qparams*);
  for (const Calibrate calibrate : {Calibrate{qgemm_calibrate_symmetric},
                                    Calibrate{qgemm_calibrate_symmetric_unsigned}}) {
    EXPECT_REJECTED(calibrate(good, 4, 1, &out), QGEMM_ERROR_INVALID_ARGUMENT,
                    "bits = 1 is outside 2..16");
    EXPECT_REJECTED(calibrate(good, 4, 17, &out), QGEMM_ERROR_INVALID_ARGUMENT,
                    "bits = 17 is outside 2..16");
    EXPECT_REJECTED(calibrate(nullptr, 4, 8, &out), QGEMM_ERROR_NULL_POINTER, "x is NULL");
    EXPECT_REJECTED(calibrate(good, 0, 8, &out), QGEMM_ERROR_INVALID_DATA, "n = 0");
    EXPECT_REJECTED(calibrate(with_nan, 4, 8, &out), QGEMM_ERROR_INVALID_DATA, "x[2] is NaN");
    EXPECT_REJECTED(calibrate(with_inf, 3, 8, &out), QGEMM_ERROR_INVALID_DATA, "x[1]");
    EXPECT_REJECTED(calibrate(good, 4, 8, nullptr), QGEMM_ERROR_NULL_POINTER, "out is NULL");
  }

  // Percentile.
  for (const double p : {0.0, -1.0, 100.5, kNaN, kInf}) {
    EXPECT_REJECTED(qgemm_calibrate_percentile(good, 4, 8, p, &out), QGEMM_ERROR_INVALID_ARGUMENT,
                    "percentile p = ");
  }
  EXPECT_REJECTED(qgemm_calibrate_percentile(good, 4, 8, 0.0, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "percentile p = 0 is outside (0, 100]");
  EXPECT_REJECTED(qgemm_calibrate_percentile(good, 4, 0, 50.0, &out),
                  QGEMM_ERROR_INVALID_ARGUMENT, "bits = 0");
  EXPECT_REJECTED(qgemm_calibrate_percentile(nullptr, 4, 8, 50.0, &out),
                  QGEMM_ERROR_NULL_POINTER, "x is NULL");
  EXPECT_REJECTED(qgemm_calibrate_percentile(good, 0, 8, 50.0, &out), QGEMM_ERROR_INVALID_DATA,
                  "n = 0");
  EXPECT_REJECTED(qgemm_calibrate_percentile(with_nan, 4, 8, 50.0, &out),
                  QGEMM_ERROR_INVALID_DATA, "x[2] is NaN");
  EXPECT_REJECTED(qgemm_calibrate_percentile(good, 4, 8, 50.0, nullptr),
                  QGEMM_ERROR_NULL_POINTER, "out is NULL");

  EXPECT_TRUE(unchanged(out));
}

TEST(QuantErrors, Quantize) {
  const float x[] = {0.5f, -1.0f, 2.0f};
  const float with_nan[] = {0.5f, kNaNf, 2.0f};
  const float with_inf[] = {0.5f, -1.0f, kInff};
  const qgemm_qparams good = make_params(0.1, 0, -128, 127);
  int8_t out[3];
  std::memset(out, 0x5A, sizeof out);
  const auto out_unchanged = [&] {
    for (const int8_t v : out) {
      if (v != 0x5A) return false;
    }
    return true;
  };

  EXPECT_REJECTED(qgemm_quantize(nullptr, 3, &good, QGEMM_S8, out), QGEMM_ERROR_NULL_POINTER,
                  "x is NULL");
  EXPECT_REJECTED(qgemm_quantize(x, 3, nullptr, QGEMM_S8, out), QGEMM_ERROR_NULL_POINTER,
                  "params is NULL");
  EXPECT_REJECTED(qgemm_quantize(x, 3, &good, QGEMM_S8, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "out is NULL");
  EXPECT_REJECTED(qgemm_quantize(x, 0, &good, QGEMM_S8, out), QGEMM_ERROR_INVALID_DATA, "n = 0");
  EXPECT_REJECTED(qgemm_quantize(with_nan, 3, &good, QGEMM_S8, out), QGEMM_ERROR_INVALID_DATA,
                  "x[1] is NaN");
  EXPECT_REJECTED(qgemm_quantize(with_inf, 3, &good, QGEMM_S8, out), QGEMM_ERROR_INVALID_DATA,
                  "x[2] = inf is not finite");

  for (const double scale : {0.0, -0.5, kNaN, kInf, -kInf}) {
    const qgemm_qparams bad = make_params(scale, 0, -128, 127);
    EXPECT_REJECTED(qgemm_quantize(x, 3, &bad, QGEMM_S8, out), QGEMM_ERROR_INVALID_SCALE,
                    "params->scale");
  }
  const qgemm_qparams zero_scale = make_params(0.0, 0, -128, 127);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &zero_scale, QGEMM_S8, out), QGEMM_ERROR_INVALID_SCALE,
                  "params->scale = 0 is not > 0");

  const qgemm_qparams zero_point_high = make_params(0.1, 128, -128, 127);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &zero_point_high, QGEMM_S8, out),
                  QGEMM_ERROR_ZERO_POINT_RANGE, "params->zero_point = 128 is outside");
  const qgemm_qparams zero_point_low = make_params(0.1, -6, -5, 10);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &zero_point_low, QGEMM_S8, out),
                  QGEMM_ERROR_ZERO_POINT_RANGE, "params->zero_point = -6");

  const qgemm_qparams reversed = make_params(0.1, 0, 0, 0);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &reversed, QGEMM_S8, out), QGEMM_ERROR_INVALID_ARGUMENT,
                  "params->qmin = 0 must be < params->qmax = 0");
  const qgemm_qparams too_wide = make_params(0.1, 0, -40000, 127);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &too_wide, QGEMM_S16, out), QGEMM_ERROR_INVALID_ARGUMENT,
                  "params->qmin = -40000");

  for (const qgemm_type type : {QGEMM_S32, QGEMM_F32, static_cast<qgemm_type>(7)}) {
    EXPECT_REJECTED(qgemm_quantize(x, 3, &good, type, out), QGEMM_ERROR_INVALID_TYPE, "out_type");
  }
  // A storage type that cannot hold [qmin, qmax].
  EXPECT_REJECTED(qgemm_quantize(x, 3, &good, QGEMM_U8, out), QGEMM_ERROR_INVALID_TYPE,
                  "out_type");
  const qgemm_qparams uint8_params = make_params(0.1, 0, 0, 255);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &uint8_params, QGEMM_S8, out), QGEMM_ERROR_INVALID_TYPE,
                  "out_type");
  const qgemm_qparams uint16_params = make_params(0.1, 0, 0, 65535);
  EXPECT_REJECTED(qgemm_quantize(x, 3, &uint16_params, QGEMM_S16, out), QGEMM_ERROR_INVALID_TYPE,
                  "out_type");

  EXPECT_TRUE(out_unchanged());
}

TEST(QuantErrors, Dequantize) {
  const int8_t q[] = {1, -2, 3};
  const qgemm_qparams good = make_params(0.1, 0, -128, 127);
  float out[3];
  std::memset(out, 0x5A, sizeof out);
  const auto out_unchanged = [&] {
    const float expected = sentinel<float>();
    return std::memcmp(&out[0], &expected, 4) == 0 && std::memcmp(&out[1], &expected, 4) == 0 &&
           std::memcmp(&out[2], &expected, 4) == 0;
  };

  EXPECT_REJECTED(qgemm_dequantize(nullptr, QGEMM_S8, 3, &good, out), QGEMM_ERROR_NULL_POINTER,
                  "q is NULL");
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, nullptr, out), QGEMM_ERROR_NULL_POINTER,
                  "params is NULL");
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, &good, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "out is NULL");
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 0, &good, out), QGEMM_ERROR_INVALID_DATA,
                  "n = 0");
  for (const qgemm_type type : {QGEMM_S32, QGEMM_F32, static_cast<qgemm_type>(6)}) {
    EXPECT_REJECTED(qgemm_dequantize(q, type, 3, &good, out), QGEMM_ERROR_INVALID_TYPE, "type = ");
  }
  for (const double scale : {0.0, -1.0, kNaN, kInf}) {
    const qgemm_qparams bad = make_params(scale, 0, -128, 127);
    EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, &bad, out), QGEMM_ERROR_INVALID_SCALE,
                    "params->scale");
  }
  const qgemm_qparams bad_zero_point = make_params(0.1, 300, -128, 127);
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, &bad_zero_point, out),
                  QGEMM_ERROR_ZERO_POINT_RANGE, "params->zero_point = 300");
  const qgemm_qparams reversed = make_params(0.1, 0, 127, -128);
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, &reversed, out), QGEMM_ERROR_INVALID_ARGUMENT,
                  "params->qmin = 127");
  // A finite scale so large that s * (q - z) leaves float's range: named, not written as inf.
  const qgemm_qparams huge = make_params(2e38, 0, -128, 127);
  EXPECT_REJECTED(qgemm_dequantize(q, QGEMM_S8, 3, &huge, out), QGEMM_ERROR_INVALID_SCALE,
                  "q[1]");
  EXPECT_TRUE(out_unchanged());
  // The same scale is fine where every value stays in range.
  const int8_t small_q[] = {0, 1, -1};
  ASSERT_EQ(qgemm_dequantize(small_q, QGEMM_S8, 3, &huge, out), QGEMM_OK);
  EXPECT_EQ(out[1], 2e38f);
}

TEST(QuantErrors, ErrorReport) {
  const float x[] = {1.0f, 2.0f, 3.0f};
  const float with_nan[] = {1.0f, kNaNf, 3.0f};
  const float with_inf[] = {1.0f, 2.0f, -kInff};
  qgemm_error_report out = sentinel<qgemm_error_report>();
  EXPECT_REJECTED(qgemm_error_report_compute(nullptr, x, 3, &out), QGEMM_ERROR_NULL_POINTER,
                  "x is NULL");
  EXPECT_REJECTED(qgemm_error_report_compute(x, nullptr, 3, &out), QGEMM_ERROR_NULL_POINTER,
                  "y is NULL");
  EXPECT_REJECTED(qgemm_error_report_compute(x, x, 3, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "out is NULL");
  EXPECT_REJECTED(qgemm_error_report_compute(x, x, 0, &out), QGEMM_ERROR_INVALID_DATA, "n = 0");
  EXPECT_REJECTED(qgemm_error_report_compute(with_nan, x, 3, &out), QGEMM_ERROR_INVALID_DATA,
                  "x[1] is NaN");
  EXPECT_REJECTED(qgemm_error_report_compute(x, with_inf, 3, &out), QGEMM_ERROR_INVALID_DATA,
                  "y[2] = -inf is not finite");
  EXPECT_TRUE(unchanged(out));
}

TEST(QuantErrors, RequantScale) {
  float out = sentinel<float>();
  for (const double bad : {0.0, -0.5, kNaN, kInf}) {
    EXPECT_REJECTED(qgemm_requant_scale(bad, 0.1, 0.1, &out), QGEMM_ERROR_INVALID_SCALE,
                    "a_scale");
    EXPECT_REJECTED(qgemm_requant_scale(0.1, bad, 0.1, &out), QGEMM_ERROR_INVALID_SCALE,
                    "b_scale");
    EXPECT_REJECTED(qgemm_requant_scale(0.1, 0.1, bad, &out), QGEMM_ERROR_INVALID_SCALE,
                    "c_scale");
  }
  EXPECT_REJECTED(qgemm_requant_scale(-0.5, 0.1, 0.1, &out), QGEMM_ERROR_INVALID_SCALE,
                  "a_scale = -0.5 is not > 0");
  EXPECT_REJECTED(qgemm_requant_scale(1e30, 1e30, 1e-30, &out), QGEMM_ERROR_INVALID_SCALE,
                  "overflows float");
  EXPECT_REJECTED(qgemm_requant_scale(1e200, 1e200, 1e300, &out), QGEMM_ERROR_INVALID_SCALE,
                  "overflows float");  // sA * sB is already infinite in double
  EXPECT_REJECTED(qgemm_requant_scale(1e-30, 1e-30, 1e30, &out), QGEMM_ERROR_INVALID_SCALE,
                  "rounds to 0");
  EXPECT_TRUE(unchanged(out));
  EXPECT_REJECTED(qgemm_requant_scale(0.1, 0.1, 0.1, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "out is NULL");
  // Just below the float overflow threshold rounds to FLT_MAX; at it, to infinity.
  ASSERT_EQ(qgemm_requant_scale(0x1.fffffefffffffp+127, 1.0, 1.0, &out), QGEMM_OK);
  EXPECT_EQ(out, std::numeric_limits<float>::max());
  EXPECT_REJECTED(qgemm_requant_scale(0x1.ffffffp+127, 1.0, 1.0, &out),
                  QGEMM_ERROR_INVALID_SCALE, "overflows float");
}

TEST(QuantErrors, QuantizeMultiplier) {
  int32_t multiplier = sentinel<int32_t>(), shift = sentinel<int32_t>();
  for (const double m : {0.0, -0.0, -0.5, kNaN, kInf, -kInf}) {
    EXPECT_REJECTED(qgemm_quantize_multiplier(m, &multiplier, &shift), QGEMM_ERROR_INVALID_SCALE,
                    "m ");
  }
  EXPECT_REJECTED(qgemm_quantize_multiplier(0.0, &multiplier, &shift), QGEMM_ERROR_INVALID_SCALE,
                  "m = 0 is not > 0");
  EXPECT_REJECTED(qgemm_quantize_multiplier(-0.5, &multiplier, &shift),
                  QGEMM_ERROR_INVALID_SCALE, "m = -0.5 is not > 0");
  EXPECT_REJECTED(qgemm_quantize_multiplier(kNaN, &multiplier, &shift), QGEMM_ERROR_INVALID_SCALE,
                  "m is NaN");
  // 2^30 needs shift 31; so does the largest double below it, whose mantissa rounds up.
  EXPECT_REJECTED(qgemm_quantize_multiplier(std::ldexp(1.0, 30), &multiplier, &shift),
                  QGEMM_ERROR_INVALID_SCALE, "shift = 31");
  EXPECT_REJECTED(
      qgemm_quantize_multiplier(std::nextafter(std::ldexp(1.0, 30), 0.0), &multiplier, &shift),
      QGEMM_ERROR_INVALID_SCALE, "shift = 31");
  EXPECT_REJECTED(qgemm_quantize_multiplier(1e300, &multiplier, &shift),
                  QGEMM_ERROR_INVALID_SCALE, "too large");
  EXPECT_TRUE(unchanged(multiplier));
  EXPECT_TRUE(unchanged(shift));
  EXPECT_REJECTED(qgemm_quantize_multiplier(0.5, nullptr, &shift), QGEMM_ERROR_NULL_POINTER,
                  "multiplier is NULL");
  EXPECT_REJECTED(qgemm_quantize_multiplier(0.5, &multiplier, nullptr), QGEMM_ERROR_NULL_POINTER,
                  "shift is NULL");
  EXPECT_TRUE(unchanged(multiplier));
  EXPECT_TRUE(unchanged(shift));
}

}  // namespace
