// Kernels that only the tests run: builds of a kernel's source for another ISA than its own,
// for kernels whose ISA a development machine may lack (x86/ukernel_6x16c4__avxvnni.cc runs
// as its EVEX twin, tests/kernels/), and baselines that a level's kernel is measured against
// (x86/ukernel_6x16c2__avx2.cc, the exact vpmaddwd kernel, against the byte kernel of the AVX2
// level; qgemm_twin_bench times both). They are not in the registry (kernels.inc), so the
// library never dispatches them and its public API cannot name them; the tests pack B for them
// with the library's internal qgemm::detail::new_packed_b and multiply through the public
// qgemm_gemm_packed, which runs whatever kernel the packed B was packed for.
#ifndef QGEMM_TESTS_TEST_KERNELS_H
#define QGEMM_TESTS_TEST_KERNELS_H

#include <vector>

#include "core/kernel.h"

namespace qgemm::detail {

struct test_kernel {
  const gemm_kernel* kernel;
  bool runnable;  // this CPU and OS can run the instructions the twin was built with
};

// Every test-only kernel built into the tests (runnable here or not).
std::vector<test_kernel> test_kernels();

}  // namespace qgemm::detail

#endif  // QGEMM_TESTS_TEST_KERNELS_H
