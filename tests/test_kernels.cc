#include "test_kernels.h"

namespace qgemm::detail {

#if defined(QGEMM_TEST_AVXVNNI_TWIN)
extern const gemm_kernel ukernel_6x16c4__avxvnni_evex_twin;
extern const gemm_kernel ukernel_6x16c2__avx2;
#endif

std::vector<test_kernel> test_kernels() {
  std::vector<test_kernel> out;
#if defined(QGEMM_TEST_AVXVNNI_TWIN)
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  out.push_back({&ukernel_6x16c4__avxvnni_evex_twin,
                 f.avx2 && f.fma && f.avx512f && f.avx512vl && f.avx512_vnni});
  out.push_back({&ukernel_6x16c2__avx2, f.avx2 && f.fma});
#endif
  return out;
}

}  // namespace qgemm::detail
