// The test-only kernels (test_kernels.h) and the AVX-VNNI level they stand in for: every
// runnable one is swept by the reference tests, none is reachable through dispatch, each has the
// tile and blocks of the kernel it twins, and the AVX-VNNI level itself is dispatched only where
// the CPU has AVX-VNNI, below AVX512-VNNI.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "gemm_problem.h"
#include "test_kernels.h"

using namespace qgemm_test;
using qgemm::detail::test_kernel;
using qgemm::detail::test_kernels;

namespace {

const std::string kTwinSuffix = "_evex_twin";

TEST(TestKernels, EveryRunnableOneIsSweptByTheReferenceTests) {
  const std::vector<kernel_under_test> swept = kernels_under_test();
  for (const test_kernel& t : test_kernels()) {
    bool found = false;
    for (const kernel_under_test& k : swept) found = found || k.test_only == t.kernel;
    EXPECT_EQ(found, t.runnable) << t.kernel->name;
  }
#if defined(__x86_64__)
  // On x86-64 the AVX-VNNI twin is built; where it runs (AVX512-VNNI + VL), it is swept. So is
  // the int16 AVX2 baseline, wherever AVX2 runs.
  ASSERT_EQ(test_kernels().size(), 2u);
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  EXPECT_STREQ(test_kernels()[0].kernel->name, "ukernel_6x16c4__avxvnni_evex_twin");
  EXPECT_EQ(test_kernels()[0].runnable,
            f.avx2 && f.fma && f.avx512f && f.avx512vl && f.avx512_vnni);
  EXPECT_STREQ(test_kernels()[1].kernel->name, "ukernel_6x16c2__avx2");
  EXPECT_EQ(test_kernels()[1].runnable, f.avx2 && f.fma);
#endif
}

TEST(TestKernels, NoLevelDispatchesThem) {
  for (const test_kernel& t : test_kernels()) {
    for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
      const char* name = qgemm_kernel_name(static_cast<qgemm_isa>(i));
      if (name != nullptr) {
        EXPECT_STRNE(name, t.kernel->name);
      }
    }
  }
}

// A twin is the same source as its kernel, built for another ISA: same tile, blocks and level.
TEST(TestKernels, TwinsHaveTheirKernelsTileAndBlocks) {
  for (const test_kernel& t : test_kernels()) {
    const std::string name = t.kernel->name;
    if (name.size() <= kTwinSuffix.size() ||
        name.substr(name.size() - kTwinSuffix.size()) != kTwinSuffix)
      continue;  // a baseline, not a twin
    const std::string real = name.substr(0, name.size() - kTwinSuffix.size());
    qgemm_kernel_info k{};
    ASSERT_EQ(qgemm_get_kernel_info(static_cast<qgemm_isa>(t.kernel->isa), &k), QGEMM_OK);
    EXPECT_EQ(real, k.name);
    EXPECT_EQ(static_cast<size_t>(k.mr), t.kernel->mr);
    EXPECT_EQ(static_cast<size_t>(k.nr), t.kernel->nr);
    EXPECT_EQ(static_cast<size_t>(k.kr), t.kernel->kr);
    EXPECT_EQ(static_cast<size_t>(k.mc), t.kernel->mc);
    EXPECT_EQ(static_cast<size_t>(k.nc), t.kernel->nc);
    EXPECT_EQ(static_cast<size_t>(k.kc), t.kernel->kc);
  }
}

#if defined(__x86_64__)
TEST(AvxVnniLevel, BuiltAndDispatchedOnlyWithAvxVnniBelowAvx512Vnni) {
  ASSERT_TRUE(qgemm_isa_built(QGEMM_ISA_AVXVNNI));
  EXPECT_STREQ(qgemm_kernel_name(QGEMM_ISA_AVXVNNI), "ukernel_6x16c4__avxvnni");
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  const bool vnni_ymm = f.avx2 && f.fma && f.avx_vnni;
  EXPECT_EQ(qgemm_isa_available(QGEMM_ISA_AVXVNNI) != 0, vnni_ymm);
  // Where both exist, the zmm kernel is the better one and outranks it.
  if (qgemm_isa_available(QGEMM_ISA_AVX512VNNI)) {
    EXPECT_EQ(qgemm_best_isa(), QGEMM_ISA_AVX512VNNI);
  } else if (vnni_ymm) {
    EXPECT_EQ(qgemm_best_isa(), QGEMM_ISA_AVXVNNI);
  }
  if (!vnni_ymm) {  // a CPU without AVX-VNNI refuses to be forced onto it
    EXPECT_EQ(qgemm_set_isa(QGEMM_ISA_AVXVNNI), QGEMM_ERROR_UNSUPPORTED_ISA);
    EXPECT_NE(std::strstr(qgemm_last_error(), "not supported by this CPU"), nullptr)
        << qgemm_last_error();
  }
}
#endif

}  // namespace
