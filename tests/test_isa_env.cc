// Run by ctest with QGEMM_ISA set to a valid, an unknown and an unavailable level (see
// tests/CMakeLists.txt); each run is a fresh process, since the variable is read once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "gemm_problem.h"

using namespace qgemm_test;

namespace {

gemm_case small_case() {
  gemm_case g;
  g.M = 19;
  g.N = 23;
  g.K = 45;
  g.out = out_kind::requant_fixed_u8;
  g.seed = 99;
  return g;
}

}  // namespace

namespace {

// A valid level is obeyed; an unknown or unavailable one makes every GEMM fail clearly, writing nothing, until
// qgemm_set_isa() picks a valid level.
TEST(Dispatch, EnvironmentOverride) {
  const char* env = std::getenv("QGEMM_ISA");
  ASSERT_NE(env, nullptr) << "run this test with QGEMM_ISA set";
  qgemm_isa wanted{};
  const bool known = qgemm_isa_from_name(env, &wanted) == QGEMM_OK;
  qgemm_isa isa{};
  const qgemm_status s = qgemm_selected_isa(&isa);
  gemm_problem p(small_case());
  std::vector<uint8_t> out = p.fresh_output();
  const std::vector<uint8_t> untouched = out;
  if (known && qgemm_isa_available(wanted)) {
    ASSERT_EQ(s, QGEMM_OK);
    EXPECT_EQ(isa, wanted);
    ASSERT_EQ(qgemm_gemm(19, 23, 45, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc()), QGEMM_OK);
    EXPECT_EQ(out, p.reference());
    return;
  }
  ASSERT_EQ(s, QGEMM_ERROR_UNSUPPORTED_ISA);
  EXPECT_NE(std::strstr(qgemm_last_error(), env), nullptr) << qgemm_last_error();
  EXPECT_NE(std::strstr(qgemm_last_error(), "QGEMM_ISA"), nullptr) << qgemm_last_error();
  EXPECT_EQ(qgemm_gemm(19, 23, 45, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc()),
            QGEMM_ERROR_UNSUPPORTED_ISA);
  EXPECT_EQ(out, untouched);
  qgemm_packed_b* packed = nullptr;
  EXPECT_EQ(qgemm_pack_b(45, 23, &p.b(), &packed), QGEMM_ERROR_UNSUPPORTED_ISA);
  EXPECT_EQ(packed, nullptr);
  // Forcing a valid level recovers.
  ASSERT_EQ(qgemm_set_isa(QGEMM_ISA_SCALAR), QGEMM_OK);
  ASSERT_EQ(qgemm_gemm(19, 23, 45, &p.a(), &p.b(), &p.epilogue(), p.out(out), p.ldc()), QGEMM_OK);
  EXPECT_EQ(out, p.reference());
}

}  // namespace
