// Dispatch picks the level a CPU model should get. Run with QGEMM_EXPECT_ISA=<level name> (the
// Arm CI runs it under qemu once per CPU model: max -> i8mm, neoverse-n1 -> neondot,
// cortex-a53 -> neon; see tests/CMakeLists.txt); without the variable there is nothing to
// expect and the test is skipped.
#include <gtest/gtest.h>

#include <cstdlib>

#include "qgemm/qgemm.h"

namespace {

TEST(Dispatch, PicksTheExpectedLevel) {
  const char* expected_name = std::getenv("QGEMM_EXPECT_ISA");
  if (expected_name == nullptr || *expected_name == '\0')
    GTEST_SKIP() << "QGEMM_EXPECT_ISA is not set";
  qgemm_isa expected{};
  ASSERT_EQ(qgemm_isa_from_name(expected_name, &expected), QGEMM_OK) << qgemm_last_error();
  EXPECT_STREQ(qgemm_isa_name(qgemm_best_isa()), expected_name);
  qgemm_isa selected{};
  ASSERT_EQ(qgemm_selected_isa(&selected), QGEMM_OK) << qgemm_last_error();
  EXPECT_STREQ(qgemm_isa_name(selected), expected_name);
  // Every level up to the expected one of the same family runs here; the ones above it do not,
  // and forcing one of them is refused.
  EXPECT_TRUE(qgemm_isa_available(expected));
  for (int i = expected + 1; i < QGEMM_ISA_COUNT; ++i) {
    const auto above = static_cast<qgemm_isa>(i);
    EXPECT_FALSE(qgemm_isa_available(above)) << qgemm_isa_name(above);
    EXPECT_EQ(qgemm_set_isa(above), QGEMM_ERROR_UNSUPPORTED_ISA) << qgemm_isa_name(above);
  }
}

}  // namespace
