// Error paths of the GEMM entry points (SEMANTICS.md §1, §3, §5).
//
// Every rejected argument of qgemm_gemm, qgemm_gemm_packed, qgemm_pack_b, qgemm_pack_b_for_isa,
// qgemm_packed_b_get_info and the dispatch functions must
//   - return its specific qgemm_status,
//   - leave a message in qgemm_last_error() that names the argument (checked by substring;
//     a marker message planted before each call proves the message is fresh), and
//   - write nothing: C is filled with a canary pattern (larger than any C of the problem) and
//     must be byte-for-byte unchanged; a pack's `*out` keeps its sentinel value; a get_info /
//     from_name / kernel_info output struct keeps its old contents.
// The canary is also run on every kernel this machine runs, one-shot and packed (from a fresh
// pack and from a loaded blob): CanaryOnEveryKernel at the end. (Out-of-memory rejections:
// test_limits.cc; serialization's: test_serialize.cc.)
// The empty-matrix cases that must be ACCEPTED (NULL data when M*K or K*N is 0, NULL C when
// M or N is 0, K == 0 running the epilogue on acc = 0) are here too, with exact expected values,
// as are the C++ exceptions and the per-thread message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/serialize.h"
#include "gemm_problem.h"
#include "qgemm/qgemm.h"
#include "qgemm/qgemm.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t k2To40 = int64_t{1} << 40;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// An enum holding an arbitrary int, as a C caller may pass one (C++ forbids static_cast to a
// value outside the enum's range, so the bytes are copied instead).
template <class E>
E raw_enum(int value) {
  static_assert(sizeof(E) == sizeof(int), "qgemm enums are int-sized");
  E e;
  std::memcpy(&e, &value, sizeof e);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Message helpers
// ---------------------------------------------------------------------------------------------

// Leaves a known message in this thread's error slot, so that a check can tell the message of
// the call under test from one left over by an earlier call.
constexpr char kStaleMarker[] = "stale-marker";
void plant_stale_message() {
  qgemm_isa isa = QGEMM_ISA_SCALAR;
  ASSERT_EQ(qgemm_isa_from_name(kStaleMarker, &isa), QGEMM_ERROR_UNSUPPORTED_ISA);
  ASSERT_THAT(qgemm_last_error(), HasSubstr(kStaleMarker));
}

// `got` must be `expected`, and the calling thread's message must be fresh and hold every
// substring.
void expect_failure(qgemm_status got, qgemm_status expected,
                    const std::vector<std::string>& substrings) {
  EXPECT_STREQ(qgemm_status_name(got), qgemm_status_name(expected))
      << "message: " << qgemm_last_error();
  const std::string message = qgemm_last_error();
  EXPECT_THAT(message, Not(HasSubstr(kStaleMarker))) << "the failing call recorded no message";
  for (const std::string& s : substrings) EXPECT_THAT(message, HasSubstr(s));
}

// A level this machine cannot run (I8MM on x86, an x86 level on Arm); false if none.
bool find_unavailable_isa(qgemm_isa* out) {
  if (!qgemm_isa_available(QGEMM_ISA_I8MM)) {
    *out = QGEMM_ISA_I8MM;
    return true;
  }
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    if (!qgemm_isa_available(static_cast<qgemm_isa>(i))) {
      *out = static_cast<qgemm_isa>(i);
      return true;
    }
  }
  return false;
}

// A level with no kernel compiled in; false if every level is built.
bool find_unbuilt_isa(qgemm_isa* out) {
  for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
    if (!qgemm_isa_built(static_cast<qgemm_isa>(i))) {
      *out = static_cast<qgemm_isa>(i);
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The fixture: a valid problem (A u8 4x6, B s8 6x5, C int32 4x5) that each test mutates.
// ---------------------------------------------------------------------------------------------

// Entry points a case is run through (bit mask).
enum entry : unsigned {
  kGemm = 1u,        // qgemm_gemm
  kGemmPacked = 2u,  // qgemm_gemm_packed with B packed from the fixture's valid B
  kPackB = 4u,       // qgemm_pack_b and qgemm_pack_b_for_isa(QGEMM_ISA_SCALAR)
};
constexpr unsigned kGemmBoth = kGemm | kGemmPacked;
constexpr unsigned kBOnly = kGemm | kPackB;
constexpr unsigned kAll = kGemm | kGemmPacked | kPackB;

class ValidProblem : public ::testing::Test {
 protected:
  static constexpr int64_t kM = 4, kN = 5, kK = 6;
  static constexpr size_t kCWords = 256;  // 1 KiB of C storage: more than any layout used here

  ValidProblem() : a_buf_(256), b_buf_(256), c_(kCWords), canary_(kCWords) {
    for (size_t i = 0; i < a_buf_.size(); ++i) a_buf_[i] = static_cast<uint8_t>(i * 37 + 11);
    for (size_t i = 0; i < b_buf_.size(); ++i) b_buf_[i] = static_cast<uint8_t>(i * 53 + 7);
    // A distinctive, non-repeating byte pattern that no epilogue writes by accident.
    unsigned char* bytes = reinterpret_cast<unsigned char*>(canary_.data());
    for (size_t i = 0; i < kCWords * 4; ++i) bytes[i] = static_cast<unsigned char>(0xA5 ^ (i * 29));
    a = qgemm_operand{QGEMM_U8, QGEMM_NO_TRANS, a_buf_.data(), kK, 3, nullptr};
    b = qgemm_operand{QGEMM_S8, QGEMM_NO_TRANS, b_buf_.data(), kN, -2, nullptr};
    epi = qgemm_epilogue_s32(nullptr);
    reset_c();
  }

  void SetUp() override {
    ASSERT_EQ(qgemm_pack_b(kK, kN, &b, &packed_), QGEMM_OK) << qgemm_last_error();
    ASSERT_NE(packed_, nullptr);
  }
  void TearDown() override { qgemm_packed_b_destroy(packed_); }

  void reset_c() { std::memcpy(c_.data(), canary_.data(), kCWords * 4); }
  bool c_untouched() const { return std::memcmp(c_.data(), canary_.data(), kCWords * 4) == 0; }
  // Byte offset of the first byte of C that differs from the canary, or -1.
  long first_changed_byte() const {
    const auto* x = reinterpret_cast<const unsigned char*>(c_.data());
    const auto* y = reinterpret_cast<const unsigned char*>(canary_.data());
    for (size_t i = 0; i < kCWords * 4; ++i)
      if (x[i] != y[i]) return static_cast<long>(i);
    return -1;
  }

  qgemm_status run_gemm() { return qgemm_gemm(M, N, K, pa, pb, pe, C, ldc); }
  qgemm_status run_gemm_packed() {
    return qgemm_gemm_packed(M, N, K, pa, QGEMM_S8, packed_, pe, C, ldc);
  }

  // Runs the current (mutated) arguments through every entry point in `entries` and checks
  // status, message and that nothing was written.
  void expect_rejected(qgemm_status expected, const std::vector<std::string>& substrings,
                       unsigned entries = kGemmBoth) {
    if (entries & kGemm) {
      SCOPED_TRACE("qgemm_gemm");
      reset_c();
      plant_stale_message();
      expect_failure(run_gemm(), expected, substrings);
      EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
    }
    if (entries & kGemmPacked) {
      SCOPED_TRACE("qgemm_gemm_packed");
      reset_c();
      plant_stale_message();
      expect_failure(run_gemm_packed(), expected, substrings);
      EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
    }
    if (entries & kPackB) {
      {
        SCOPED_TRACE("qgemm_pack_b");
        qgemm_packed_b* out = qgemm_test::sentinel_packed_b();
        plant_stale_message();
        const qgemm_status s = qgemm_pack_b(K, N, pb, &out);
        expect_failure(s, expected, substrings);
        EXPECT_EQ(out, qgemm_test::sentinel_packed_b()) << "*out was written";
        if (s == QGEMM_OK && out != qgemm_test::sentinel_packed_b()) qgemm_packed_b_destroy(out);
      }
      {
        SCOPED_TRACE("qgemm_pack_b_for_isa(QGEMM_ISA_SCALAR)");
        qgemm_packed_b* out = qgemm_test::sentinel_packed_b();
        plant_stale_message();
        const qgemm_status s = qgemm_pack_b_for_isa(QGEMM_ISA_SCALAR, K, N, pb, &out);
        expect_failure(s, expected, substrings);
        EXPECT_EQ(out, qgemm_test::sentinel_packed_b()) << "*out was written";
        if (s == QGEMM_OK && out != qgemm_test::sentinel_packed_b()) qgemm_packed_b_destroy(out);
      }
    }
  }

  // The current arguments are valid: qgemm_gemm (and optionally the packed path, with the
  // fixture's packed B) succeed.
  void expect_accepted(unsigned entries = kGemm) {
    if (entries & kGemm) {
      SCOPED_TRACE("qgemm_gemm");
      reset_c();
      const qgemm_status s = run_gemm();
      EXPECT_EQ(s, QGEMM_OK) << qgemm_status_name(s) << ": " << qgemm_last_error();
    }
    if (entries & kGemmPacked) {
      SCOPED_TRACE("qgemm_gemm_packed");
      reset_c();
      const qgemm_status s = run_gemm_packed();
      EXPECT_EQ(s, QGEMM_OK) << qgemm_status_name(s) << ": " << qgemm_last_error();
    }
    if (entries & kPackB) {
      SCOPED_TRACE("qgemm_pack_b");
      qgemm_packed_b* out = nullptr;
      const qgemm_status s = qgemm_pack_b(K, N, pb, &out);
      EXPECT_EQ(s, QGEMM_OK) << qgemm_status_name(s) << ": " << qgemm_last_error();
      qgemm_packed_b_destroy(out);
    }
  }

  // Element (r, c) of op(X) and its zero point, straight from the operand description.
  static int32_t element(const qgemm_operand& x, int64_t r, int64_t c) {
    const auto* p = static_cast<const uint8_t*>(x.data);
    const int64_t i = x.trans == QGEMM_NO_TRANS ? r * x.ld + c : c * x.ld + r;
    return x.type == QGEMM_U8 ? int32_t{p[i]} : int32_t{static_cast<int8_t>(p[i])};
  }
  static int32_t zero_point(const qgemm_operand& x, int64_t i) {
    return x.zero_points ? x.zero_points[i] : x.zero_point;
  }
  // The exact accumulator (small K: no wrap).
  int32_t reference_acc(int64_t m, int64_t n) const {
    int64_t acc = 0;
    for (int64_t k = 0; k < K; ++k)
      acc += int64_t{element(a, m, k) - zero_point(a, m)} * (element(b, k, n) - zero_point(b, n));
    return static_cast<int32_t>(acc);
  }

  const int32_t* c_s32() const { return c_.data(); }
  const int8_t* c_s8() const { return reinterpret_cast<const int8_t*>(c_.data()); }
  const uint8_t* c_u8() const { return reinterpret_cast<const uint8_t*>(c_.data()); }
  const float* c_f32() const { return reinterpret_cast<const float*>(c_.data()); }

  // C (int32, ldc) holds reference acc + bias.
  void expect_c_is_reference_s32(const int32_t* bias = nullptr) const {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        EXPECT_EQ(c_s32()[m * ldc + n], reference_acc(m, n) + (bias ? bias[n] : 0))
            << "m = " << m << ", n = " << n;
  }

  // Every byte outside the M x N elements of `elem` bytes (row padding, beyond the last row)
  // still holds the canary.
  void expect_only_c_elements_written(int64_t elem) const {
    const auto* x = reinterpret_cast<const unsigned char*>(c_.data());
    const auto* y = reinterpret_cast<const unsigned char*>(canary_.data());
    int64_t changed_outside = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(kCWords * 4); ++i) {
      const int64_t e = i / elem, m = e / ldc, n = e % ldc;
      const bool inside = m < M && n < N;
      if (!inside && x[i] != y[i]) ++changed_outside;
    }
    EXPECT_EQ(changed_outside, 0) << "bytes written outside C's M x N elements";
  }

  // Arguments under test (the pointers may be set to nullptr).
  qgemm_operand a{}, b{};
  qgemm_epilogue epi{};
  const qgemm_operand* pa = &a;
  const qgemm_operand* pb = &b;
  const qgemm_epilogue* pe = &epi;
  int64_t M = kM, N = kN, K = kK, ldc = kN;

 private:
  std::vector<uint8_t> a_buf_, b_buf_;
  std::vector<int32_t> c_, canary_;

 protected:
  void* C = c_.data();
  qgemm_packed_b* packed_ = nullptr;
};

class GemmRejects : public ValidProblem {};
class GemmAccepts : public ValidProblem {};
class EpilogueRejects : public ValidProblem {};
class PackedRejects : public ValidProblem {};
class NoStickyState : public ValidProblem {};

// ---------------------------------------------------------------------------------------------
// The fixture itself is valid (otherwise every rejection below would prove nothing).
// ---------------------------------------------------------------------------------------------

TEST_F(GemmAccepts, FixtureProblemIsValidAndMatchesReference) {
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
  expect_only_c_elements_written(4);
  reset_c();
  ASSERT_EQ(run_gemm_packed(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
  expect_only_c_elements_written(4);
  // Spot value so that the reference itself is pinned: row 0 of A is 11 48 85 122 159 196
  // (11 + 37 k), column 0 of B is 7 16 25 34 43 52 (int8 of 7 + 53 * 5 k).
  EXPECT_EQ(reference_acc(0, 0), (11 - 3) * (7 + 2) + (48 - 3) * (16 + 2) + (85 - 3) * (25 + 2) +
                                     (122 - 3) * (34 + 2) + (159 - 3) * (43 + 2) +
                                     (196 - 3) * (52 + 2));
  EXPECT_EQ(c_s32()[0], 24822);
}

// ---------------------------------------------------------------------------------------------
// NULL pointers
// ---------------------------------------------------------------------------------------------

TEST_F(GemmRejects, NullOperandA) {
  pa = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"operand A is NULL"});
}

TEST_F(GemmRejects, NullOperandB) {
  pb = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"operand B is NULL"}, kBOnly);
}

TEST_F(GemmRejects, NullEpilogue) {
  pe = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue is NULL"});
}

TEST_F(GemmRejects, NullADataWhenAHasElements) {
  a.data = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"A.data is NULL"});
  a.trans = QGEMM_TRANS;
  a.ld = kM;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"A.data is NULL"});
}

TEST_F(GemmRejects, NullBDataWhenBHasElements) {
  b.data = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"B.data is NULL"}, kBOnly);
  b.trans = QGEMM_TRANS;
  b.ld = kK;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"B.data is NULL"}, kBOnly);
}

TEST_F(GemmRejects, NullCWhenCHasElements) {
  C = nullptr;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"C is NULL"});
  const float one = 1.0f;
  epi = qgemm_epilogue_f32(&one, 0, &one, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"C is NULL"});
}

// ---------------------------------------------------------------------------------------------
// Empty matrices: NULL data / NULL C accepted; K == 0 runs the epilogue on acc = 0
// ---------------------------------------------------------------------------------------------

TEST_F(GemmAccepts, NullADataAndNullCWhenMIsZero) {
  M = 0;
  a.data = nullptr;
  C = nullptr;
  expect_accepted(kGemmBoth);
}

TEST_F(GemmAccepts, NullBDataAndNullCWhenNIsZero) {
  N = 0;
  ldc = 0;
  b.data = nullptr;
  b.ld = 0;
  C = nullptr;
  expect_accepted(kGemm | kPackB);
}

TEST_F(GemmAccepts, MZeroReturnsOkAndWritesNothing) {
  M = 0;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
  ASSERT_EQ(run_gemm_packed(), QGEMM_OK) << qgemm_last_error();
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
}

TEST_F(GemmAccepts, NZeroReturnsOkAndWritesNothing) {
  N = 0;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();

  // The packed path with a B packed with N == 0.
  qgemm_packed_b* empty = nullptr;
  ASSERT_EQ(qgemm_pack_b(kK, 0, &b, &empty), QGEMM_OK) << qgemm_last_error();
  reset_c();
  ASSERT_EQ(qgemm_gemm_packed(M, 0, K, pa, QGEMM_S8, empty, pe, C, ldc), QGEMM_OK)
      << qgemm_last_error();
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
  qgemm_packed_b_destroy(empty);
}

TEST_F(GemmAccepts, EmptyProblemWithDimensionOf2To40) {
  // Exactly 2^40 is allowed; nothing is read or written since every product is empty.
  M = k2To40;
  K = 0;
  N = 0;
  a.data = nullptr;
  a.ld = 0;
  b.data = nullptr;
  b.ld = 0;
  C = nullptr;
  ldc = 0;
  expect_accepted(kGemm);
}

// K == 0 with NULL A and B data: every acc is 0 and the epilogue still runs. ldc = N + 2 so
// that the row padding must stay untouched.
class KZero : public ValidProblem {
 protected:
  void SetUp() override {
    ValidProblem::SetUp();
    K = 0;
    a.data = nullptr;
    a.ld = 0;
    b.data = nullptr;
    b.ld = kN;
    ldc = kN + 2;
  }
};

TEST_F(KZero, S32EpilogueWritesBias) {
  const int32_t bias[kN] = {1, -2, 3, -4, std::numeric_limits<int32_t>::max()};
  epi = qgemm_epilogue_s32(bias);
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_s32()[m * ldc + n], bias[n]) << m << "," << n;
  expect_only_c_elements_written(4);
}

TEST_F(KZero, S32EpilogueWithoutBiasWritesZeros) {
  a.trans = QGEMM_TRANS;  // stored K x M = 0 x 4: lda >= M
  a.ld = kM;
  b.trans = QGEMM_TRANS;  // stored N x K = 5 x 0: ldb >= K = 0
  b.ld = 0;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_s32()[m * ldc + n], 0) << m << "," << n;
  expect_only_c_elements_written(4);
}

TEST_F(KZero, RequantFloatEpilogueWritesRequantizedBias) {
  const int32_t bias[kN] = {10, -20, 0, 7, 255};
  const float scale = 0.5f;
  epi = qgemm_epilogue_requant_float(QGEMM_S8, &scale, 0, /*out_zero_point=*/3, bias);
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  // 5+3, -10+3, 0+3, nearbyint(3.5)=4 -> 7, 127.5 clamped to 127-3 -> 127.
  const int8_t expected[kN] = {8, -7, 3, 7, 127};
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_s8()[m * ldc + n], expected[n]) << m << "," << n;
  expect_only_c_elements_written(1);
}

TEST_F(KZero, RequantFixedEpilogueWritesRequantizedBias) {
  const int32_t bias[kN] = {10, -20, 0, 6, 200};
  const int32_t multiplier = 1 << 30;  // 0.5
  const int32_t shift = 0;
  epi = qgemm_epilogue_requant_fixed(QGEMM_U8, &multiplier, &shift, 0, /*out_zero_point=*/7, bias);
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  // 7 + x/2, clamped to [0, 255]: 12, -3 -> 0, 7, 10, 107.
  const uint8_t expected[kN] = {12, 0, 7, 10, 107};
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_u8()[m * ldc + n], expected[n]) << m << "," << n;
  expect_only_c_elements_written(1);
}

TEST_F(KZero, F32EpilogueWritesClampedBias) {
  const float a_scale = 2.0f, b_scale = 0.25f;
  const float bias[kN] = {1.5f, -2.5f, 0.0f, 1e30f, -7.0f};
  epi = qgemm_epilogue_f32(&a_scale, 0, &b_scale, 0, bias);
  epi.f32_min = -5.0f;
  epi.f32_max = 1e6f;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  const float expected[kN] = {1.5f, -2.5f, 0.0f, 1e6f, -5.0f};
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_f32()[m * ldc + n], expected[n]) << m << "," << n;
  expect_only_c_elements_written(4);
}

// ---------------------------------------------------------------------------------------------
// Sizes
// ---------------------------------------------------------------------------------------------

TEST_F(GemmRejects, NegativeM) {
  M = -1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"M = -1"});
  M = kInt64Min;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"M = -9223372036854775808"});
}

TEST_F(GemmRejects, NegativeN) {
  N = -1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"N = -1"}, kAll);
  N = kInt64Min;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"N = -9223372036854775808"}, kAll);
}

TEST_F(GemmRejects, NegativeK) {
  K = -1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"K = -1"}, kAll);
  K = kInt64Min;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"K = -9223372036854775808"}, kAll);
}

TEST_F(GemmRejects, DimensionAbove2To40) {
  M = k2To40 + 1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"M = 1099511627777", "exceeds 2^40"});
  M = kInt64Max;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"M = 9223372036854775807", "exceeds 2^40"});
  M = kM;
  N = k2To40 + 1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"N = 1099511627777", "exceeds 2^40"}, kAll);
  N = kN;
  K = k2To40 + 1;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"K = 1099511627777", "exceeds 2^40"}, kAll);
}

// ---------------------------------------------------------------------------------------------
// Leading dimensions
// ---------------------------------------------------------------------------------------------

TEST_F(GemmRejects, LdaBelowKForNonTransposedA) {
  a.ld = kK - 1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"lda = 5", "K = 6"});
  a.ld = kM;  // enough for A^T, not for A
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"lda = 4", "K = 6"});
  a.ld = -kK;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"lda = -6"});
}

TEST_F(GemmRejects, LdaBelowMForTransposedA) {
  a.trans = QGEMM_TRANS;
  a.ld = kM - 1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"lda = 3", "M = 4"});
}

TEST_F(GemmAccepts, LdaOfMForTransposedA) {
  a.trans = QGEMM_TRANS;
  a.ld = kM;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
  reset_c();
  ASSERT_EQ(run_gemm_packed(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
}

TEST_F(GemmRejects, LdbBelowNForNonTransposedB) {
  b.ld = kN - 1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldb = 4", "N = 5"}, kBOnly);
  b.ld = -1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldb = -1"}, kBOnly);
}

TEST_F(GemmRejects, LdbBelowKForTransposedB) {
  b.trans = QGEMM_TRANS;
  b.ld = kK - 1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldb = 5", "K = 6"}, kBOnly);
  b.ld = kN;  // enough for B, not for B^T
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldb = 5", "K = 6"}, kBOnly);
}

TEST_F(GemmAccepts, LdbOfKForTransposedB) {
  b.trans = QGEMM_TRANS;
  b.ld = kK;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
}

TEST_F(GemmRejects, LdcBelowN) {
  ldc = kN - 1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldc = 4", "N = 5"});
  const float scale = 0.25f;
  epi = qgemm_epilogue_requant_float(QGEMM_U8, &scale, 0, 128, nullptr);
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldc = 4", "N = 5"});
  ldc = -1;
  expect_rejected(QGEMM_ERROR_INVALID_STRIDE, {"ldc = -1"});
}

TEST_F(GemmRejects, AddressRangeOverflowOfA) {
  a.ld = int64_t{1} << 62;  // 3 * 2^62 overflows int64
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"operand A", "lda = 4611686018427387904"});
  a.ld = kInt64Max;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"operand A", "lda = 9223372036854775807"});
  a.trans = QGEMM_TRANS;  // 6 stored rows
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"operand A", "6 rows"});
}

TEST_F(GemmRejects, AddressRangeOverflowOfB) {
  b.ld = int64_t{1} << 62;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"operand B", "ldb = 4611686018427387904"}, kBOnly);
  b.trans = QGEMM_TRANS;  // 5 stored rows
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"operand B", "5 rows"}, kBOnly);
}

TEST_F(GemmRejects, AddressRangeOverflowOfC) {
  ldc = int64_t{1} << 61;  // 3 * 2^61 + 5 elements fit int64, times 4 bytes do not
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"C: 4 rows of ldc = 2305843009213693952"});
  ldc = kInt64Max;
  expect_rejected(QGEMM_ERROR_INVALID_SIZE, {"ldc = 9223372036854775807"});
}

// ---------------------------------------------------------------------------------------------
// Types and transposes
// ---------------------------------------------------------------------------------------------

TEST_F(GemmRejects, OperandATypeNotU8OrS8) {
  for (int t : {int{QGEMM_S32}, int{QGEMM_F32}, int{QGEMM_U16}, int{QGEMM_S16}, 99, -1}) {
    SCOPED_TRACE(t);
    a.type = raw_enum<qgemm_type>(t);
    expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"A.type = " + std::to_string(t)});
  }
}

TEST_F(GemmRejects, OperandBTypeNotU8OrS8) {
  for (int t : {int{QGEMM_S32}, int{QGEMM_F32}, int{QGEMM_S16}, 99}) {
    SCOPED_TRACE(t);
    b.type = raw_enum<qgemm_type>(t);
    expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"B.type = " + std::to_string(t)}, kBOnly);
  }
}

TEST_F(GemmRejects, BadTransposeValue) {
  a.trans = raw_enum<qgemm_transpose>(2);
  expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"A.trans = 2"});
  a.trans = QGEMM_NO_TRANS;
  b.trans = raw_enum<qgemm_transpose>(-1);
  expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"B.trans = -1"}, kBOnly);
}

// ---------------------------------------------------------------------------------------------
// Zero points
// ---------------------------------------------------------------------------------------------

struct type_range {
  qgemm_type type;
  int32_t lo, hi;
};
constexpr type_range kOperandTypes[] = {{QGEMM_U8, 0, 255}, {QGEMM_S8, -128, 127}};

TEST_F(GemmRejects, PerTensorZeroPointOutOfRange) {
  for (const type_range& t : kOperandTypes) {
    for (int32_t bad : {t.lo - 1, t.hi + 1, std::numeric_limits<int32_t>::min()}) {
      SCOPED_TRACE("type " + std::to_string(t.type) + ", zero point " + std::to_string(bad));
      a.type = t.type;
      a.zero_point = bad;
      expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE,
                      {"A.zero_point = " + std::to_string(bad),
                       "[" + std::to_string(t.lo) + ", " + std::to_string(t.hi) + "]"});
      a = qgemm_operand{QGEMM_U8, QGEMM_NO_TRANS, a.data, kK, 3, nullptr};

      b.type = t.type;
      b.zero_point = bad;
      expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE,
                      {"B.zero_point = " + std::to_string(bad),
                       "[" + std::to_string(t.lo) + ", " + std::to_string(t.hi) + "]"},
                      kBOnly);
      b = qgemm_operand{QGEMM_S8, QGEMM_NO_TRANS, b.data, kN, -2, nullptr};
    }
  }
}

TEST_F(GemmAccepts, PerTensorZeroPointAtTypeBounds) {
  for (const type_range& t : kOperandTypes) {
    for (int32_t z : {t.lo, t.hi}) {
      SCOPED_TRACE("type " + std::to_string(t.type) + ", zero point " + std::to_string(z));
      a.type = t.type;
      a.zero_point = z;
      b.type = t.type;
      b.zero_point = z;
      reset_c();
      ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
      expect_c_is_reference_s32();
    }
  }
}

TEST_F(GemmRejects, PerRowZeroPointOfAOutOfRangeAtIndex2) {
  for (const type_range& t : kOperandTypes) {
    for (int32_t bad : {t.lo - 1, t.hi + 1}) {
      SCOPED_TRACE("type " + std::to_string(t.type) + ", zero point " + std::to_string(bad));
      const int32_t zp[kM] = {t.lo, t.hi, bad, t.lo};
      a.type = t.type;
      a.zero_point = 0;
      a.zero_points = zp;
      expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE,
                      {"A.zero_points[2] = " + std::to_string(bad), "row of op(A)"});
    }
  }
}

TEST_F(GemmRejects, PerColumnZeroPointOfBOutOfRangeAtIndex3) {
  for (const type_range& t : kOperandTypes) {
    for (int32_t bad : {t.lo - 1, t.hi + 1}) {
      SCOPED_TRACE("type " + std::to_string(t.type) + ", zero point " + std::to_string(bad));
      const int32_t zp[kN] = {t.lo, t.hi, 0, bad, t.hi};
      b.type = t.type;
      b.zero_points = zp;
      expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE,
                      {"B.zero_points[3] = " + std::to_string(bad), "column of op(B)"}, kBOnly);
    }
  }
}

TEST_F(GemmRejects, PerRowZeroPointsOfAAreCheckedEvenWhenPerTensorValueIsValid) {
  // The per-tensor value is ignored when the array is given, so a valid one must not hide a
  // bad array entry — and a bad one must not reject a valid array.
  const int32_t bad_zp[kM] = {0, 0, 0, 300};
  a.zero_point = 3;
  a.zero_points = bad_zp;
  expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE, {"A.zero_points[3] = 300"});
}

TEST_F(GemmAccepts, PerChannelZeroPointsInRangeAndIgnoredPerTensorValue) {
  const int32_t za[kM] = {0, 255, 7, 128};
  const int32_t zb[kN] = {-128, 127, 0, 5, -3};
  a.zero_point = 1000;  // ignored: per-row array given
  a.zero_points = za;
  b.zero_point = -1000;  // ignored: per-column array given
  b.zero_points = zb;
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();

  qgemm_packed_b* p = nullptr;
  ASSERT_EQ(qgemm_pack_b(kK, kN, &b, &p), QGEMM_OK) << qgemm_last_error();
  reset_c();
  ASSERT_EQ(qgemm_gemm_packed(M, N, K, &a, QGEMM_S8, p, &epi, C, ldc), QGEMM_OK)
      << qgemm_last_error();
  expect_c_is_reference_s32();
  qgemm_packed_b_destroy(p);
}

// ---------------------------------------------------------------------------------------------
// Epilogues
// ---------------------------------------------------------------------------------------------

TEST_F(EpilogueRejects, OutputNotAQgemmOutput) {
  for (int o : {4, 99, -1}) {
    SCOPED_TRACE(o);
    epi.output = raw_enum<qgemm_output>(o);
    expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"epilogue output = " + std::to_string(o)});
  }
}

class RequantEpilogue : public ValidProblem {
 protected:
  const float scale_ = 0.01f;
  const int32_t multiplier_ = 1 << 30;
  const int32_t shift_ = -3;
  // A valid requantizing epilogue of either kind.
  qgemm_epilogue requant(qgemm_output kind, qgemm_type out_type) const {
    return kind == QGEMM_OUTPUT_REQUANT_FLOAT
               ? qgemm_epilogue_requant_float(out_type, &scale_, 0, 0, nullptr)
               : qgemm_epilogue_requant_fixed(out_type, &multiplier_, &shift_, 0, 0, nullptr);
  }
};

constexpr qgemm_output kRequantKinds[] = {QGEMM_OUTPUT_REQUANT_FLOAT, QGEMM_OUTPUT_REQUANT_FIXED};

TEST_F(RequantEpilogue, OutTypeMustBeU8OrS8) {
  for (qgemm_output kind : kRequantKinds) {
    for (int t : {int{QGEMM_S32}, int{QGEMM_F32}, int{QGEMM_U16}, 99}) {
      SCOPED_TRACE("output " + std::to_string(kind) + ", out_type " + std::to_string(t));
      epi = requant(kind, QGEMM_S8);
      epi.out_type = raw_enum<qgemm_type>(t);
      expect_rejected(QGEMM_ERROR_INVALID_TYPE, {"out_type = " + std::to_string(t)});
    }
  }
}

TEST_F(RequantEpilogue, OutZeroPointOutOfRange) {
  for (qgemm_output kind : kRequantKinds) {
    for (const type_range& t : kOperandTypes) {
      for (int32_t bad : {t.lo - 1, t.hi + 1}) {
        SCOPED_TRACE("output " + std::to_string(kind) + ", type " + std::to_string(t.type) +
                     ", out_zero_point " + std::to_string(bad));
        epi = requant(kind, t.type);
        epi.out_zero_point = bad;
        expect_rejected(QGEMM_ERROR_ZERO_POINT_RANGE,
                        {"out_zero_point = " + std::to_string(bad),
                         "[" + std::to_string(t.lo) + ", " + std::to_string(t.hi) + "]"});
      }
      for (int32_t ok : {t.lo, t.hi}) {
        SCOPED_TRACE("output " + std::to_string(kind) + ", out_zero_point " + std::to_string(ok));
        epi = requant(kind, t.type);
        epi.out_zero_point = ok;
        expect_accepted();
      }
    }
  }
}

TEST_F(RequantEpilogue, ClampBoundsMustBeOrderedAndWithinOutType) {
  struct bounds {
    qgemm_type type;
    int32_t min, max;
  };
  const bounds bad[] = {{QGEMM_S8, 10, 5},    {QGEMM_S8, -129, 127}, {QGEMM_S8, -128, 128},
                        {QGEMM_S8, 200, 255}, {QGEMM_U8, -1, 255},   {QGEMM_U8, 0, 256},
                        {QGEMM_U8, 255, 254}, {QGEMM_U8, -5, -1}};
  for (qgemm_output kind : kRequantKinds) {
    for (const bounds& x : bad) {
      const std::string range = "[" + std::to_string(x.min) + ", " + std::to_string(x.max) + "]";
      SCOPED_TRACE("output " + std::to_string(kind) + ", type " + std::to_string(x.type) + " " +
                   range);
      epi = requant(kind, x.type);
      epi.out_min = x.min;
      epi.out_max = x.max;
      expect_rejected(QGEMM_ERROR_INVALID_ARGUMENT, {"[out_min, out_max] = " + range});
    }
    // A single-value clamp (ReLU-style fusion to a point) is ordered and allowed.
    epi = requant(kind, QGEMM_U8);
    epi.out_min = epi.out_max = 17;
    reset_c();
    ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_u8()[m * ldc + n], 17);
    expect_only_c_elements_written(1);
  }
}

TEST_F(RequantEpilogue, FloatScaleNull) {
  epi = qgemm_epilogue_requant_float(QGEMM_S8, nullptr, 0, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue scale is NULL"});
  epi.scale_per_column = 1;
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue scale is NULL"});
}

const float kBadScales[] = {0.0f, -0.0f, -1.0f, kNaN, kInf, -kInf};

TEST_F(RequantEpilogue, FloatScalePerTensorNotFinitePositive) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    epi = qgemm_epilogue_requant_float(QGEMM_S8, &bad, 0, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"scale[0]"});
  }
}

TEST_F(RequantEpilogue, FloatScalePerColumnNotFinitePositiveAtIndex3) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    const float scale[kN] = {0.5f, 0.25f, 1.0f, bad, 0.5f};
    epi = qgemm_epilogue_requant_float(QGEMM_U8, scale, 1, 128, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"scale[3]"});
    // With the flag off only scale[0] is read: the same array is valid.
    epi.scale_per_column = 0;
    expect_accepted(kGemmBoth);
  }
}

TEST_F(RequantEpilogue, FixedMultiplierOrShiftNull) {
  const int32_t m0 = 1 << 30, shift = 0;
  epi = qgemm_epilogue_requant_fixed(QGEMM_S8, nullptr, &shift, 0, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue multiplier is NULL"});
  epi = qgemm_epilogue_requant_fixed(QGEMM_S8, &m0, nullptr, 0, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue shift is NULL"});
}

TEST_F(RequantEpilogue, FixedMultiplierNegative) {
  const int32_t shift[kN] = {0, 0, 0, 0, 0};
  for (int32_t bad : {-1, std::numeric_limits<int32_t>::min()}) {
    SCOPED_TRACE(bad);
    epi = qgemm_epilogue_requant_fixed(QGEMM_S8, &bad, shift, 0, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"multiplier[0] = " + std::to_string(bad)});
    const int32_t per_column[kN] = {1 << 30, 0, bad, 1 << 30, 1 << 30};
    epi = qgemm_epilogue_requant_fixed(QGEMM_S8, per_column, shift, 1, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"multiplier[2] = " + std::to_string(bad)});
  }
}

TEST_F(RequantEpilogue, FixedShiftOutsideMinus31To30) {
  const int32_t m0[kN] = {1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30};
  for (int32_t bad :
       {31, -32, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()}) {
    SCOPED_TRACE(bad);
    epi = qgemm_epilogue_requant_fixed(QGEMM_S8, m0, &bad, 0, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_ARGUMENT, {"shift[0] = " + std::to_string(bad)});
    const int32_t per_column[kN] = {0, 30, -31, -5, bad};
    epi = qgemm_epilogue_requant_fixed(QGEMM_S8, m0, per_column, 1, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_ARGUMENT, {"shift[4] = " + std::to_string(bad)});
  }
}

TEST_F(RequantEpilogue, FixedShiftBoundsAndZeroMultiplierAccepted) {
  const int32_t m0[kN] = {0, 1 << 30, std::numeric_limits<int32_t>::max(), 1, 1 << 30};
  const int32_t shift[kN] = {30, -31, 0, 30, -31};
  epi = qgemm_epilogue_requant_fixed(QGEMM_S8, m0, shift, 1, 0, nullptr);
  expect_accepted(kGemmBoth);
}

class F32Epilogue : public ValidProblem {
 protected:
  const float one_ = 1.0f;
};

TEST_F(F32Epilogue, ScaleNull) {
  epi = qgemm_epilogue_f32(nullptr, 0, &one_, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue a_scale is NULL"});
  epi = qgemm_epilogue_f32(&one_, 0, nullptr, 0, nullptr);
  expect_rejected(QGEMM_ERROR_NULL_POINTER, {"epilogue b_scale is NULL"});
}

TEST_F(F32Epilogue, AScalePerTensorNotFinitePositive) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    epi = qgemm_epilogue_f32(&bad, 0, &one_, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"a_scale[0]"});
  }
}

TEST_F(F32Epilogue, AScalePerRowNotFinitePositiveAtIndex2) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    const float a_scale[kM] = {1.0f, 0.5f, bad, 2.0f};
    epi = qgemm_epilogue_f32(a_scale, 1, &one_, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"a_scale[2]"});
  }
}

TEST_F(F32Epilogue, BScalePerTensorNotFinitePositive) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    epi = qgemm_epilogue_f32(&one_, 0, &bad, 0, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"b_scale[0]"});
  }
}

TEST_F(F32Epilogue, BScalePerColumnNotFinitePositiveAtIndex3) {
  for (float bad : kBadScales) {
    SCOPED_TRACE(bad);
    const float b_scale[kN] = {1.0f, 0.5f, 0.25f, bad, 2.0f};
    epi = qgemm_epilogue_f32(&one_, 0, b_scale, 1, nullptr);
    expect_rejected(QGEMM_ERROR_INVALID_SCALE, {"b_scale[3]"});
    epi.b_scale_per_column = 0;  // only b_scale[0] read: valid
    expect_accepted(kGemmBoth);
  }
}

TEST_F(F32Epilogue, BiasNotFiniteAtIndex1) {
  for (float bad : {kNaN, kInf, -kInf}) {
    SCOPED_TRACE(bad);
    const float bias[kN] = {0.0f, bad, 1.0f, -1.0f, 3.0f};
    epi = qgemm_epilogue_f32(&one_, 0, &one_, 0, bias);
    expect_rejected(QGEMM_ERROR_INVALID_ARGUMENT, {"bias_f32[1]"});
  }
}

TEST_F(F32Epilogue, ClampMustBeOrderedNumbers) {
  struct bounds {
    float lo, hi;
  };
  for (bounds x : {bounds{1.0f, 0.0f}, bounds{kInf, -kInf}, bounds{kNaN, 1.0f}, bounds{0.0f, kNaN},
                   bounds{kNaN, kNaN}}) {
    SCOPED_TRACE(std::to_string(x.lo) + ", " + std::to_string(x.hi));
    epi = qgemm_epilogue_f32(&one_, 0, &one_, 0, nullptr);
    epi.f32_min = x.lo;
    epi.f32_max = x.hi;
    expect_rejected(QGEMM_ERROR_INVALID_ARGUMENT, {"[f32_min, f32_max]"});
  }
  // Equal bounds are ordered: every element becomes that value.
  epi = qgemm_epilogue_f32(&one_, 0, &one_, 0, nullptr);
  epi.f32_min = epi.f32_max = 2.5f;
  reset_c();
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(c_f32()[m * ldc + n], 2.5f);
}

// ---------------------------------------------------------------------------------------------
// Packed B
// ---------------------------------------------------------------------------------------------

TEST_F(PackedRejects, KMismatch) {
  K = kK + 1;
  a.ld = K;
  expect_rejected(QGEMM_ERROR_PACKED_MISMATCH,
                  {"packed B holds K = 6, N = 5, type s8", "asks for K = 7, N = 5, type s8"},
                  kGemmPacked);
  K = kK - 1;
  expect_rejected(QGEMM_ERROR_PACKED_MISMATCH, {"asks for K = 5"}, kGemmPacked);
}

TEST_F(PackedRejects, NMismatch) {
  N = kN - 1;
  ldc = N;
  expect_rejected(QGEMM_ERROR_PACKED_MISMATCH, {"packed B holds K = 6, N = 5", "N = 4"},
                  kGemmPacked);
}

TEST_F(PackedRejects, TypeMismatch) {
  reset_c();
  plant_stale_message();
  expect_failure(qgemm_gemm_packed(M, N, K, pa, QGEMM_U8, packed_, pe, C, ldc),
                 QGEMM_ERROR_PACKED_MISMATCH, {"type s8", "type u8"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();

  reset_c();
  plant_stale_message();
  expect_failure(qgemm_gemm_packed(M, N, K, pa, QGEMM_S32, packed_, pe, C, ldc),
                 QGEMM_ERROR_PACKED_MISMATCH, {"type s8", "type other"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
}

TEST_F(PackedRejects, NullPackedB) {
  reset_c();
  plant_stale_message();
  expect_failure(qgemm_gemm_packed(M, N, K, pa, QGEMM_S8, nullptr, pe, C, ldc),
                 QGEMM_ERROR_NULL_POINTER, {"packed B is NULL"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
}

TEST_F(PackedRejects, PackWithNullOut) {
  plant_stale_message();
  expect_failure(qgemm_pack_b(K, N, &b, nullptr), QGEMM_ERROR_NULL_POINTER, {"`out`"});
  plant_stale_message();
  expect_failure(qgemm_pack_b_for_isa(QGEMM_ISA_SCALAR, K, N, &b, nullptr),
                 QGEMM_ERROR_NULL_POINTER, {"`out`"});
}

TEST_F(PackedRejects, GetInfoNullArguments) {
  qgemm_packed_b_info info{};
  info.K = -7;
  info.kernel = "untouched";
  plant_stale_message();
  expect_failure(qgemm_packed_b_get_info(nullptr, &info), QGEMM_ERROR_NULL_POINTER,
                 {"packed B is NULL"});
  EXPECT_EQ(info.K, -7);
  EXPECT_STREQ(info.kernel, "untouched");
  plant_stale_message();
  expect_failure(qgemm_packed_b_get_info(packed_, nullptr), QGEMM_ERROR_NULL_POINTER, {"`info`"});
}

TEST_F(PackedRejects, GetInfoOfValidPackedBDescribesIt) {
  qgemm_packed_b_info info{};
  ASSERT_EQ(qgemm_packed_b_get_info(packed_, &info), QGEMM_OK) << qgemm_last_error();
  EXPECT_EQ(info.K, kK);
  EXPECT_EQ(info.N, kN);
  EXPECT_EQ(info.type, QGEMM_S8);
  EXPECT_EQ(info.trans, QGEMM_NO_TRANS);
  EXPECT_EQ(info.zero_point_per_column, 0);
  EXPECT_NE(info.kernel, nullptr);
  EXPECT_GT(info.bytes, 0u);
}

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

TEST(IsaRejects, UnknownNameFromName) {
  for (const char* name : {"avx9000", "", "AVX2", "scalar ", "neon\n"}) {
    SCOPED_TRACE(std::string("name \"") + name + "\"");
    qgemm_isa out = static_cast<qgemm_isa>(15);
    plant_stale_message();
    expect_failure(qgemm_isa_from_name(name, &out), QGEMM_ERROR_UNSUPPORTED_ISA,
                   {std::string("\"") + name + "\"", "is not an ISA level"});
    EXPECT_EQ(out, static_cast<qgemm_isa>(15)) << "out was written";
  }
}

TEST(IsaRejects, FromNameNullArguments) {
  qgemm_isa out = static_cast<qgemm_isa>(15);
  plant_stale_message();
  expect_failure(qgemm_isa_from_name(nullptr, &out), QGEMM_ERROR_NULL_POINTER, {"ISA name"});
  EXPECT_EQ(out, static_cast<qgemm_isa>(15));
  plant_stale_message();
  expect_failure(qgemm_isa_from_name("scalar", nullptr), QGEMM_ERROR_NULL_POINTER, {"`out`"});
}

TEST(IsaRejects, SelectedIsaNullOut) {
  plant_stale_message();
  expect_failure(qgemm_selected_isa(nullptr), QGEMM_ERROR_NULL_POINTER, {"`out`"});
}

TEST(IsaRejects, SetIsaUnavailableLevelKeepsSelection) {
  qgemm_isa unavailable;
  if (!find_unavailable_isa(&unavailable)) GTEST_SKIP() << "every ISA level runs here";
  qgemm_isa before;
  ASSERT_EQ(qgemm_selected_isa(&before), QGEMM_OK) << qgemm_last_error();
  plant_stale_message();
  expect_failure(qgemm_set_isa(unavailable), QGEMM_ERROR_UNSUPPORTED_ISA,
                 {std::string("ISA level ") + qgemm_isa_name(unavailable)});
  qgemm_isa after;
  ASSERT_EQ(qgemm_selected_isa(&after), QGEMM_OK) << qgemm_last_error();
  EXPECT_EQ(after, before);
}

TEST(IsaRejects, SetIsaOutOfRangeEnum) {
  qgemm_isa before;
  ASSERT_EQ(qgemm_selected_isa(&before), QGEMM_OK) << qgemm_last_error();
  for (int bad : {42, int{QGEMM_ISA_COUNT}, -1}) {
    SCOPED_TRACE(bad);
    plant_stale_message();
    expect_failure(qgemm_set_isa(raw_enum<qgemm_isa>(bad)), QGEMM_ERROR_UNSUPPORTED_ISA,
                   {"isa = " + std::to_string(bad) + " is not a qgemm_isa value"});
  }
  qgemm_isa after;
  ASSERT_EQ(qgemm_selected_isa(&after), QGEMM_OK) << qgemm_last_error();
  EXPECT_EQ(after, before);
}

TEST_F(PackedRejects, PackForUnavailableOrUnknownIsa) {
  std::vector<std::pair<int, std::string>> cases = {{42, "isa = 42 is not a qgemm_isa value"},
                                                    {-1, "isa = -1 is not a qgemm_isa value"}};
  qgemm_isa unavailable;
  if (find_unavailable_isa(&unavailable))
    cases.emplace_back(unavailable, std::string("ISA level ") + qgemm_isa_name(unavailable));
  for (const auto& [isa, text] : cases) {
    SCOPED_TRACE(text);
    qgemm_packed_b* out = qgemm_test::sentinel_packed_b();
    plant_stale_message();
    expect_failure(qgemm_pack_b_for_isa(raw_enum<qgemm_isa>(isa), K, N, &b, &out),
                   QGEMM_ERROR_UNSUPPORTED_ISA, {text});
    EXPECT_EQ(out, qgemm_test::sentinel_packed_b()) << "*out was written";
  }
}

TEST(IsaRejects, KernelInfoOfUnbuiltOrUnknownLevel) {
  std::vector<std::pair<int, std::string>> cases = {
      {42, "isa = 42 is not a qgemm_isa value"},
      {QGEMM_ISA_COUNT, "isa = " + std::to_string(QGEMM_ISA_COUNT) + " is not a qgemm_isa value"}};
  qgemm_isa unbuilt;
  if (find_unbuilt_isa(&unbuilt))
    cases.emplace_back(unbuilt, std::string("no kernel of ISA level ") + qgemm_isa_name(unbuilt));
  for (const auto& [isa, name] : cases) {
    SCOPED_TRACE(name);
    qgemm_kernel_info info{};
    info.name = "untouched";
    info.mr = -3;
    plant_stale_message();
    expect_failure(qgemm_get_kernel_info(raw_enum<qgemm_isa>(isa), &info),
                   QGEMM_ERROR_UNSUPPORTED_ISA, {name});
    EXPECT_STREQ(info.name, "untouched");
    EXPECT_EQ(info.mr, -3);
  }
  plant_stale_message();
  expect_failure(qgemm_get_kernel_info(QGEMM_ISA_SCALAR, nullptr), QGEMM_ERROR_NULL_POINTER,
                 {"`out`"});
}

// ---------------------------------------------------------------------------------------------
// No sticky state; the message is per thread and survives success
// ---------------------------------------------------------------------------------------------

TEST_F(NoStickyState, ValidCallAfterFailingCallsSucceeds) {
  // A spread of failures on every entry point...
  a.ld = 1;
  ASSERT_EQ(run_gemm(), QGEMM_ERROR_INVALID_STRIDE);
  ASSERT_EQ(run_gemm_packed(), QGEMM_ERROR_INVALID_STRIDE);
  a.ld = kK;
  ASSERT_EQ(qgemm_gemm_packed(M, N, kK + 1, pa, QGEMM_S8, packed_, pe, C, ldc),
            QGEMM_ERROR_PACKED_MISMATCH);
  qgemm_packed_b* out = nullptr;
  ASSERT_EQ(qgemm_pack_b(-1, N, &b, &out), QGEMM_ERROR_INVALID_SIZE);
  qgemm_isa unavailable;
  if (find_unavailable_isa(&unavailable)) {
    ASSERT_EQ(qgemm_set_isa(unavailable), QGEMM_ERROR_UNSUPPORTED_ISA);
    ASSERT_EQ(qgemm_pack_b_for_isa(unavailable, K, N, &b, &out), QGEMM_ERROR_UNSUPPORTED_ISA);
  }
  ASSERT_EQ(qgemm_set_isa(raw_enum<qgemm_isa>(42)), QGEMM_ERROR_UNSUPPORTED_ISA);
  const float nan = kNaN;
  epi = qgemm_epilogue_f32(&nan, 0, &nan, 0, nullptr);
  ASSERT_EQ(run_gemm(), QGEMM_ERROR_INVALID_SCALE);
  const std::string message = qgemm_last_error();

  // ...then the valid problem works on both paths and gives the reference result.
  epi = qgemm_epilogue_s32(nullptr);
  reset_c();
  ASSERT_EQ(run_gemm(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
  reset_c();
  ASSERT_EQ(run_gemm_packed(), QGEMM_OK) << qgemm_last_error();
  expect_c_is_reference_s32();
  ASSERT_EQ(qgemm_pack_b(K, N, &b, &out), QGEMM_OK) << qgemm_last_error();
  ASSERT_NE(out, nullptr);
  qgemm_packed_b_destroy(out);

  // Success does not clear the message of the last failure.
  EXPECT_EQ(std::string(qgemm_last_error()), message);
}

TEST(LastError, FailureOnAnotherThreadDoesNotChangeThisThreadsMessage) {
  qgemm_isa isa;
  ASSERT_EQ(qgemm_isa_from_name("main-thread-name", &isa), QGEMM_ERROR_UNSUPPORTED_ISA);
  ASSERT_THAT(qgemm_last_error(), HasSubstr("main-thread-name"));

  std::string initial, after;
  qgemm_status status = QGEMM_OK;
  std::thread other([&] {
    initial = qgemm_last_error();
    qgemm_isa x;
    status = qgemm_isa_from_name("other-thread-name", &x);
    after = qgemm_last_error();
  });
  other.join();

  EXPECT_EQ(initial, "") << "a new thread starts with an empty message";
  EXPECT_EQ(status, QGEMM_ERROR_UNSUPPORTED_ISA);
  EXPECT_THAT(after, HasSubstr("other-thread-name"));
  EXPECT_THAT(qgemm_last_error(), HasSubstr("main-thread-name"));
  EXPECT_THAT(qgemm_last_error(), Not(HasSubstr("other-thread-name")));
}

TEST(LastError, ConcurrentFailuresKeepTheirOwnMessages) {
  constexpr int kThreads = 4, kIterations = 2000;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &mismatches] {
      const std::vector<uint8_t> a(24, 1);
      int32_t c[20];
      for (int i = 0; i < kIterations; ++i) {
        // Alternate two kinds of failure, each carrying this thread's own numbers.
        const int64_t lda = -(t * 100000 + i) - 1;
        const qgemm_operand op = qgemm::operand(a.data(), lda);
        const qgemm_operand b = qgemm::operand(reinterpret_cast<const int8_t*>(a.data()), 5);
        const qgemm_epilogue e = qgemm_epilogue_s32(nullptr);
        const qgemm_status s = qgemm_gemm(4, 5, 6, &op, &b, &e, c, 5);
        const std::string expected = "lda = " + std::to_string(lda) + " ";
        if (s != QGEMM_ERROR_INVALID_STRIDE ||
            std::string(qgemm_last_error()).find(expected) == std::string::npos)
          ++mismatches;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// C++ API: qgemm::error with the status and the library's message
// ---------------------------------------------------------------------------------------------

template <class F>
void expect_throws(F&& f, qgemm_status status, const std::vector<std::string>& substrings) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const qgemm::error& e) {
    EXPECT_STREQ(qgemm_status_name(e.status()), qgemm_status_name(status)) << e.what();
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr(qgemm_status_name(status)));
    for (const std::string& s : substrings) EXPECT_THAT(what, HasSubstr(s));
    // The message is the C API's message for this thread.
    EXPECT_THAT(what, HasSubstr(qgemm_last_error()));
  } catch (...) {
    ADD_FAILURE() << "threw something other than qgemm::error";
  }
}

class CppApiThrows : public ValidProblem {};

TEST_F(CppApiThrows, GemmWithBadArgumentsThrowsAndWritesNothing) {
  const std::vector<uint8_t> a_data(kM * kK, 9);
  const std::vector<int8_t> b_data(kK * kN, -4);
  const auto A = qgemm::operand(a_data.data(), kK, 3);
  const auto B = qgemm::operand(b_data.data(), kN, 0);
  const qgemm_epilogue s32 = qgemm_epilogue_s32(nullptr);

  expect_throws(
      [&] { qgemm::gemm(kM, kN, kK, qgemm::operand(a_data.data(), kK - 1), B, s32, C, kN); },
      QGEMM_ERROR_INVALID_STRIDE, {"lda = 5"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
  expect_throws(
      [&] { qgemm::gemm(kM, kN, kK, qgemm::operand(a_data.data(), kK, 256), B, s32, C, kN); },
      QGEMM_ERROR_ZERO_POINT_RANGE, {"A.zero_point = 256"});
  expect_throws([&] { qgemm::gemm(-2, kN, kK, A, B, s32, C, kN); }, QGEMM_ERROR_INVALID_SIZE,
                {"M = -2"});
  expect_throws([&] { qgemm::gemm(kM, kN, kK, A, B, s32, C, kN - 1); }, QGEMM_ERROR_INVALID_STRIDE,
                {"ldc = 4"});
  const float zero = 0.0f;
  expect_throws(
      [&] {
        qgemm::gemm(kM, kN, kK, A, B, qgemm_epilogue_requant_float(QGEMM_S8, &zero, 0, 0, nullptr),
                    C, kN);
      },
      QGEMM_ERROR_INVALID_SCALE, {"scale[0]"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();

  // The same arguments, fixed, do not throw.
  EXPECT_NO_THROW(qgemm::gemm(kM, kN, kK, A, B, s32, C, kN));
  EXPECT_EQ(c_s32()[0], kK * (9 - 3) * -4);
}

TEST_F(CppApiThrows, PackedBAndPackedGemmThrow) {
  const std::vector<int8_t> w(kN * kK, 1);
  expect_throws(
      [&] { qgemm::packed_b p(kK, kN, qgemm::operand(w.data(), kK - 1, 0, QGEMM_TRANS)); },
      QGEMM_ERROR_INVALID_STRIDE, {"ldb = 5"});
  expect_throws([&] { qgemm::packed_b p(kK, kN, qgemm::operand(w.data(), kK, -129, QGEMM_TRANS)); },
                QGEMM_ERROR_ZERO_POINT_RANGE, {"B.zero_point = -129"});
  expect_throws([&] { qgemm::packed_b p(-1, kN, qgemm::operand(w.data(), kK)); },
                QGEMM_ERROR_INVALID_SIZE, {"K = -1"});
  qgemm_isa unavailable;
  if (find_unavailable_isa(&unavailable)) {
    expect_throws([&] { qgemm::packed_b p(unavailable, kK, kN, qgemm::operand(w.data(), kK)); },
                  QGEMM_ERROR_UNSUPPORTED_ISA, {qgemm_isa_name(unavailable)});
  }

  const qgemm::packed_b weights(kK, kN, qgemm::operand(w.data(), kK, 0, QGEMM_TRANS));
  const std::vector<uint8_t> x(kM * (kK + 1), 2);
  const qgemm_epilogue s32 = qgemm_epilogue_s32(nullptr);
  expect_throws(
      [&] { qgemm::gemm(kM, kN, kK + 1, qgemm::operand(x.data(), kK + 1), weights, s32, C, kN); },
      QGEMM_ERROR_PACKED_MISMATCH, {"packed B holds K = 6, N = 5"});
  expect_throws(
      [&] { qgemm::gemm(kM, kN - 1, kK, qgemm::operand(x.data(), kK), weights, s32, C, kN); },
      QGEMM_ERROR_PACKED_MISMATCH, {"N = 4"});
  EXPECT_TRUE(c_untouched()) << "C written at byte " << first_changed_byte();
  EXPECT_NO_THROW(qgemm::gemm(kM, kN, kK, qgemm::operand(x.data(), kK), weights, s32, C, kN));
  EXPECT_EQ(c_s32()[0], kK * 2 * 1);
}

TEST(CppApiIsaThrows, IsaFunctionsThrow) {
  expect_throws([] { qgemm::isa_from_name("avx9000"); }, QGEMM_ERROR_UNSUPPORTED_ISA,
                {"\"avx9000\""});
  expect_throws([] { qgemm::set_isa(raw_enum<qgemm_isa>(42)); }, QGEMM_ERROR_UNSUPPORTED_ISA,
                {"is not a qgemm_isa value"});
  qgemm_isa unavailable;
  if (find_unavailable_isa(&unavailable)) {
    expect_throws([&] { qgemm::set_isa(unavailable); }, QGEMM_ERROR_UNSUPPORTED_ISA,
                  {qgemm_isa_name(unavailable)});
  }
  EXPECT_EQ(qgemm::isa_from_name("scalar"), QGEMM_ISA_SCALAR);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The canary on every kernel: rejection happens before dispatch, so no kernel may ever see a
// rejected call; this checks it, for each kernel this machine runs, one-shot (levels) and packed
// (B packed for the kernel, and the same B loaded from its blob).
// ---------------------------------------------------------------------------------------------

namespace {

struct mutation {
  const char* what;
  qgemm_status expected;
  void (*apply)(qgemm_test::gemm_case& g, qgemm_operand& a, qgemm_epilogue& e, int64_t& M,
                int64_t& ldc, bool& null_c);
};

const mutation kMutations[] = {
    {"negative M", QGEMM_ERROR_INVALID_SIZE,
     [](qgemm_test::gemm_case&, qgemm_operand&, qgemm_epilogue&, int64_t& M, int64_t&, bool&) { M = -3; }},
    {"lda too small", QGEMM_ERROR_INVALID_STRIDE,
     [](qgemm_test::gemm_case& g, qgemm_operand& a, qgemm_epilogue&, int64_t&, int64_t&, bool&) { a.ld = g.K - 1; }},
    {"A zero point out of range", QGEMM_ERROR_ZERO_POINT_RANGE,
     [](qgemm_test::gemm_case&, qgemm_operand& a, qgemm_epilogue&, int64_t&, int64_t&, bool&) { a.zero_point = 256; }},
    {"A type", QGEMM_ERROR_INVALID_TYPE,
     [](qgemm_test::gemm_case&, qgemm_operand& a, qgemm_epilogue&, int64_t&, int64_t&, bool&) { a.type = QGEMM_F32; }},
    {"output kind", QGEMM_ERROR_INVALID_TYPE,
     [](qgemm_test::gemm_case&, qgemm_operand&, qgemm_epilogue& e, int64_t&, int64_t&, bool&) { e.output = raw_enum<qgemm_output>(17); }},
    {"scale NaN", QGEMM_ERROR_INVALID_SCALE,
     [](qgemm_test::gemm_case&, qgemm_operand&, qgemm_epilogue& e, int64_t&, int64_t&, bool&) {
       static const float nan_scale = kNaN;
       e.scale = &nan_scale;
       e.scale_per_column = 0;
     }},
    {"clamp reversed", QGEMM_ERROR_INVALID_ARGUMENT,
     [](qgemm_test::gemm_case&, qgemm_operand&, qgemm_epilogue& e, int64_t&, int64_t&, bool&) {
       e.out_min = 10;
       e.out_max = -10;
     }},
    {"ldc below N", QGEMM_ERROR_INVALID_STRIDE,
     [](qgemm_test::gemm_case& g, qgemm_operand&, qgemm_epilogue&, int64_t&, int64_t& ldc, bool&) { ldc = g.N - 1; }},
    {"NULL C", QGEMM_ERROR_NULL_POINTER,
     [](qgemm_test::gemm_case&, qgemm_operand&, qgemm_epilogue&, int64_t&, int64_t&, bool& null_c) { null_c = true; }},
};

TEST(CanaryOnEveryKernel, RejectedCallsLeaveCByteForByteUnchanged) {
  using namespace qgemm_test;
  qgemm_isa selected{};
  ASSERT_EQ(qgemm_selected_isa(&selected), QGEMM_OK);
  for (const kernel_under_test& k : kernels_under_test()) {
    gemm_case g;
    g.M = 2 * k.info.mr + 1;
    g.N = k.info.nr + 3;
    g.K = 2 * k.info.kr + 1;
    g.out = out_kind::requant_float_s8;
    const gemm_problem p(g);
    qgemm_packed_b* packed = nullptr;
    ASSERT_EQ(pack_b_for(k, g.K, g.N, &p.b(), &packed), QGEMM_OK);
    std::vector<uint8_t> blob = serialize_packed_b(packed);
    qgemm_packed_b* loaded = nullptr;
    ASSERT_EQ(qgemm::detail::load_packed_b(blob.data(), blob.size(), k.test_only, &loaded), QGEMM_OK);
    const bool one_shot = select_for_one_shot(k).empty();
    for (const mutation& m : kMutations) {
      SCOPED_TRACE(k.name() + ": " + m.what);
      gemm_case spec = g;
      qgemm_operand a = p.a();
      qgemm_epilogue e = p.epilogue();
      int64_t M = g.M, ldc = p.ldc();
      bool null_c = false;
      m.apply(spec, a, e, M, ldc, null_c);
      const std::vector<uint8_t> canary = p.fresh_output();
      for (int path = 0; path < 3; ++path) {
        if (path == 0 && !one_shot) continue;
        std::vector<uint8_t> c = canary;
        void* C = null_c ? nullptr : p.out(c);
        plant_stale_message();
        const qgemm_status s =
            path == 0 ? qgemm_gemm(M, g.N, g.K, &a, &p.b(), &e, C, ldc)
                      : qgemm_gemm_packed(M, g.N, g.K, &a, g.b_type, path == 1 ? packed : loaded,
                                          &e, C, ldc);
        expect_failure(s, m.expected, {});
        EXPECT_EQ(c, canary) << "path " << path << " wrote C";
      }
    }
    qgemm_packed_b_destroy(packed);
    qgemm_packed_b_destroy(loaded);
  }
  ASSERT_EQ(qgemm_set_isa(selected), QGEMM_OK);
}

}  // namespace
