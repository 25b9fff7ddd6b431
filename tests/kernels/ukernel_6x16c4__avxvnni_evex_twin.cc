// The test twin of ukernel_6x16c4__avxvnni: the same source, with its one instruction
// (dpbusd()) in the EVEX encoding of AVX512-VNNI + VL instead of AVX-VNNI's VEX one, so that
// the kernel can be run and checked against the reference on CPUs that have AVX512-VNNI but
// not AVX-VNNI (Zen 4, Ice Lake, Cascade Lake). Built only into the tests' qgemm_test_kernels
// library, as qgemm::detail::ukernel_6x16c4__avxvnni_evex_twin, with its own inline namespace
// (named after this file); never registered in kernels.inc, never dispatched.
#define QGEMM_AVXVNNI_TWIN 1
#include "x86/ukernel_6x16c4__avxvnni.cc"
