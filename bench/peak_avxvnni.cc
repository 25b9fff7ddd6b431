// peak/vpdpbusd_ymm_vex: the VEX-encoded `{vex} vpdpbusd ymm` of AVX-VNNI, compiled with
// -mavx2 -mavxvnni only (no AVX-512 flag, so the compiler has no EVEX form to choose).
// Registered only on CPUs with avx_vnni. See peak_avx512.cc for how the chains are built.
#include <immintrin.h>

#include "peak.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 12;  // 16 ymm registers: 12 chains + a + b

int64_t vpdpbusd_ymm_vex(int64_t iters) {
  __m256i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm256_set1_epi32(k + 1);
    asm volatile("" : "+x"(acc[k]));
  }
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  asm volatile("" : "+x"(a), "+x"(b));
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm256_dpbusd_avx_epi32(acc[k], a, b);
  }
  __m256i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm256_add_epi32(sum, acc[k]);
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  int64_t r = 0;
  for (int32_t v : lanes) r += v;
  return r;
}

}  // namespace

const peak_loop peak_loops_avxvnni[] = {
    {"vpdpbusd_ymm_vex", "{vex} vpdpbusd ymm (AVX-VNNI)", false, kChains * 32 * 2.0, vpdpbusd_ymm_vex},
};
const int peak_loops_avxvnni_count = sizeof(peak_loops_avxvnni) / sizeof(peak_loops_avxvnni[0]);

}  // namespace qgemm_bench
