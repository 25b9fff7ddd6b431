// peak/<instruction> loops for AVX2: compiled with -mavx2 only (see peak_avx512.cc for why the
// chains are built this way, and why each step is a small asm). 16 ymm registers: 12 chains +
// b + ones + one temporary fit.
#include <immintrin.h>

#include "peak.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 12;

#define QGEMM_HIDE(x) asm volatile("" : "+x"(x))

int64_t reduce(__m256i v) {
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  int64_t r = 0;
  for (int32_t x : lanes) r += x;
  return r;
}

int64_t maddubs_ymm(int64_t iters) {
  __m256i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm256_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m256i b = _mm256_set1_epi8(-5), ones = _mm256_set1_epi16(1);
  QGEMM_HIDE(b);
  QGEMM_HIDE(ones);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) {
      __m256i t;  // acc += madd(maddubs(acc as u8, b), ones)
      asm("vpmaddubsw %[b], %[x], %[t]\n\t"
          "vpmaddwd %[ones], %[t], %[t]\n\t"
          "vpaddd %[t], %[x], %[x]"
          : [x] "+x"(acc[k]), [t] "=&x"(t)
          : [b] "x"(b), [ones] "x"(ones));
    }
  }
  __m256i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm256_add_epi32(sum, acc[k]);
  return reduce(sum);
}

int64_t madd_ymm(int64_t iters) {
  __m256i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm256_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m256i b = _mm256_set1_epi16(-5);
  QGEMM_HIDE(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) {
      __m256i t;  // acc += madd(acc, b)
      asm("vpmaddwd %[b], %[x], %[t]\n\t"
          "vpaddd %[t], %[x], %[x]"
          : [x] "+x"(acc[k]), [t] "=&x"(t)
          : [b] "x"(b));
    }
  }
  __m256i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm256_add_epi32(sum, acc[k]);
  return reduce(sum);
}

}  // namespace

const peak_loop peak_loops_avx2[] = {
    {"maddubs_ymm", "vpmaddubsw+vpmaddwd+vpaddd ymm", false, kChains * 32 * 2.0, maddubs_ymm},
    {"madd_ymm", "vpmaddwd+vpaddd ymm", false, kChains * 16 * 2.0, madd_ymm},
};
const int peak_loops_avx2_count = sizeof(peak_loops_avx2) / sizeof(peak_loops_avx2[0]);

}  // namespace qgemm_bench
