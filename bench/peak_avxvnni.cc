// peak/vpdpbusd_ymm_vex: the VEX-encoded `{vex} vpdpbusd ymm` of AVX-VNNI, compiled with
// -mavx2 -mavxvnni only (no AVX-512 flag, so the compiler has no EVEX form to choose).
// Registered only on CPUs with avx_vnni. See peak_avx512.cc for how the chains are built.
#include <immintrin.h>

#include "peak.h"
#include "peak_chains.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 12;  // 16 ymm registers: 12 chains + a + b

int64_t vpdpbusd_ymm_vex(int64_t iters) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  ymm_i32::hide(a);
  ymm_i32::hide(b);
  return run_chains<kChains, ymm_i32>(iters,
                                      [&](__m256i& x) { x = _mm256_dpbusd_avx_epi32(x, a, b); });
}

}  // namespace

const peak_loop peak_loops_avxvnni[] = {
    {"vpdpbusd_ymm_vex", "{vex} vpdpbusd ymm (AVX-VNNI)", false, kChains * 32 * 2.0, vpdpbusd_ymm_vex},
};
const int peak_loops_avxvnni_count = sizeof(peak_loops_avxvnni) / sizeof(peak_loops_avxvnni[0]);

}  // namespace qgemm_bench
