// peak/<instruction> loops for AVX-512 (F, BW, VL, VNNI): compiled with only those flags.
//
// Every loop runs N independent chains (accumulators) whose start values differ and are hidden
// from the compiler with an empty asm: with identical chains GCC merges them into one and the
// "peak" comes out N times too high (this happened). For the mixes whose multiply does not
// take the accumulator (vpmaddwd, vpmaddubsw), the chain feeds its accumulator into the
// multiply, so no two steps compute the same value and none can be hoisted or shared; with
// enough chains the loop is bound by throughput, not by the chain's latency. Those multi-
// instruction steps are written as one small asm each, accumulator tied in place ("+v"): from
// intrinsics, GCC 12 computed each new accumulator into another register and added a move per
// chain (and a spill) to the loop.
// tools: `objdump -d --no-show-raw-insn build/bench/CMakeFiles/qgemm_bench.dir/peak_avx512.cc.o`
#include <immintrin.h>

#include "peak.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 16;  // 32 zmm registers: 16 chains + inputs + temporaries fit

#define QGEMM_HIDE(x) asm volatile("" : "+v"(x))

// (Not _mm512_reduce_add_*: GCC 12 warns falsely inside them, -Wuninitialized.)
int64_t reduce(__m512i v) {
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, v);
  int64_t r = 0;
  for (int32_t x : lanes) r += x;
  return r;
}

int64_t vpdpbusd_zmm(int64_t iters) {
  __m512i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm512_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-5);
  QGEMM_HIDE(a);
  QGEMM_HIDE(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_dpbusd_epi32(acc[k], a, b);
  }
  __m512i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm512_add_epi32(sum, acc[k]);
  return reduce(sum);
}

// The EVEX ymm form (AVX512-VNNI + VL; this file is not compiled with -mavxvnni, so the
// compiler cannot pick the VEX encoding).
int64_t vpdpbusd_ymm(int64_t iters) {
  __m256i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm256_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  QGEMM_HIDE(a);
  QGEMM_HIDE(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm256_dpbusd_epi32(acc[k], a, b);
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

// u8 x s8 pairs -> s16 (vpmaddubsw), s16 pairs -> s32 (vpmaddwd with ones), accumulate.
int64_t maddubs_zmm(int64_t iters) {
  __m512i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm512_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m512i b = _mm512_set1_epi8(-5), ones = _mm512_set1_epi16(1);
  QGEMM_HIDE(b);
  QGEMM_HIDE(ones);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) {
      __m512i t;  // acc += madd(maddubs(acc as u8, b), ones)
      asm("vpmaddubsw %[b], %[x], %[t]\n\t"
          "vpmaddwd %[ones], %[t], %[t]\n\t"
          "vpaddd %[t], %[x], %[x]"
          : [x] "+v"(acc[k]), [t] "=&v"(t)
          : [b] "v"(b), [ones] "v"(ones));
    }
  }
  __m512i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm512_add_epi32(sum, acc[k]);
  return reduce(sum);
}

// s16 x s16 pairs -> s32 (vpmaddwd), accumulate (vpaddd): A and B widened to 16 bits.
int64_t madd_zmm(int64_t iters) {
  __m512i acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm512_set1_epi32(k + 1);
    QGEMM_HIDE(acc[k]);
  }
  __m512i b = _mm512_set1_epi16(-5);
  QGEMM_HIDE(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) {
      __m512i t;  // acc += madd(acc, b)
      asm("vpmaddwd %[b], %[x], %[t]\n\t"
          "vpaddd %[t], %[x], %[x]"
          : [x] "+v"(acc[k]), [t] "=&v"(t)
          : [b] "v"(b));
    }
  }
  __m512i sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm512_add_epi32(sum, acc[k]);
  return reduce(sum);
}

int64_t fma_zmm(int64_t iters) {
  __m512 acc[kChains];
#pragma GCC unroll 16
  for (int k = 0; k < kChains; ++k) {
    acc[k] = _mm512_set1_ps(static_cast<float>(k + 1));
    QGEMM_HIDE(acc[k]);
  }
  __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-7f);
  QGEMM_HIDE(a);
  QGEMM_HIDE(b);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_fmadd_ps(a, b, acc[k]);
  }
  __m512 sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < kChains; ++k) sum = _mm512_add_ps(sum, acc[k]);
  return reduce(_mm512_castps_si512(sum));  // the bits: only a checksum
}

}  // namespace

// ops per iteration: chains x MACs per step x 2 (int8); chains x 16 lanes x 2 (fp32 FMA).
const peak_loop peak_loops_avx512[] = {
    {"vpdpbusd_zmm", "vpdpbusd zmm", true, kChains * 64 * 2.0, vpdpbusd_zmm},
    {"vpdpbusd_ymm", "vpdpbusd ymm (EVEX)", true, kChains * 32 * 2.0, vpdpbusd_ymm},
    {"maddubs_zmm", "vpmaddubsw+vpmaddwd+vpaddd zmm", false, kChains * 64 * 2.0, maddubs_zmm},
    {"madd_zmm", "vpmaddwd+vpaddd zmm", false, kChains * 32 * 2.0, madd_zmm},
    {"fma_zmm", "vfmadd231ps zmm", false, kChains * 16 * 2.0, fma_zmm},
};
const int peak_loops_avx512_count = sizeof(peak_loops_avx512) / sizeof(peak_loops_avx512[0]);

}  // namespace qgemm_bench
