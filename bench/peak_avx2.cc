// peak/<instruction> loops for AVX2: compiled with -mavx2 only (see peak_avx512.cc for why the
// chains are built this way, and why each step is a small asm). 16 ymm registers: 12 chains +
// b + ones + one temporary fit.
#include <immintrin.h>

#include "peak.h"
#include "peak_chains.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 12;

int64_t maddubs_ymm(int64_t iters) {
  __m256i b = _mm256_set1_epi8(-5), ones = _mm256_set1_epi16(1);
  ymm_i32::hide(b);
  ymm_i32::hide(ones);
  return run_chains<kChains, ymm_i32>(iters, [&](__m256i& x) {
    __m256i t;  // x += madd(maddubs(x as u8, b), ones)
    asm("vpmaddubsw %[b], %[x], %[t]\n\t"
        "vpmaddwd %[ones], %[t], %[t]\n\t"
        "vpaddd %[t], %[x], %[x]"
        : [x] "+x"(x), [t] "=&x"(t)
        : [b] "x"(b), [ones] "x"(ones));
  });
}

int64_t madd_ymm(int64_t iters) {
  __m256i b = _mm256_set1_epi16(-5);
  ymm_i32::hide(b);
  return run_chains<kChains, ymm_i32>(iters, [&](__m256i& x) {
    __m256i t;  // x += madd(x, b)
    asm("vpmaddwd %[b], %[x], %[t]\n\t"
        "vpaddd %[t], %[x], %[x]"
        : [x] "+x"(x), [t] "=&x"(t)
        : [b] "x"(b));
  });
}

}  // namespace

const peak_loop peak_loops_avx2[] = {
    {"maddubs_ymm", "vpmaddubsw+vpmaddwd+vpaddd ymm", false, kChains * 32 * 2.0, maddubs_ymm},
    {"madd_ymm", "vpmaddwd+vpaddd ymm", false, kChains * 16 * 2.0, madd_ymm},
};
const int peak_loops_avx2_count = sizeof(peak_loops_avx2) / sizeof(peak_loops_avx2[0]);

}  // namespace qgemm_bench
