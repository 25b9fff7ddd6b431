// The scaffold of every peak/<instruction> loop: N independent accumulator chains whose start
// values differ and are hidden from the compiler (with identical chains GCC merges them into one
// and the "peak" comes out N times too high: this happened), one step per chain per iteration,
// and a checksum of all chains at the end so that nothing is dead code.
//
// Included only by the peak_*.cc files, each compiled with its own ISA flags. Everything here is
// in an unnamed namespace: every file gets its own copy, so the linker never shares one compiled
// for one ISA with another (see peak.h).
#ifndef QGEMM_BENCH_PEAK_CHAINS_H_
#define QGEMM_BENCH_PEAK_CHAINS_H_

#include <immintrin.h>

#include <cstdint>

namespace qgemm_bench {
namespace {

// Ops: a vector type V and its helpers, defined by the ISA file:
//   static V start(int k);          // a vector whose every lane holds k
//   static void hide(V& v);         // asm volatile("" : "+v"(v)) or "+x" without AVX-512
//   static V add(V a, V b);
//   static int64_t checksum(V v);   // e.g. the sum of its lanes
template <int Chains, class Ops, class Step>
int64_t run_chains(int64_t iters, Step step) {
  typename Ops::V acc[Chains];
#pragma GCC unroll 16
  for (int k = 0; k < Chains; ++k) {
    acc[k] = Ops::start(k + 1);
    Ops::hide(acc[k]);
  }
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < Chains; ++k) step(acc[k]);
  }
  typename Ops::V sum = acc[0];
#pragma GCC unroll 16
  for (int k = 1; k < Chains; ++k) sum = Ops::add(sum, acc[k]);
  return Ops::checksum(sum);
}

#if defined(__AVX2__) && !defined(__AVX512F__)
// 32-bit lanes of a ymm, for the files built without AVX-512 (peak_avx2.cc, peak_avxvnni.cc):
// "+x" keeps the hidden values in the 16 ymm registers those encodings can address.
struct ymm_i32 {
  using V = __m256i;
  static V start(int k) { return _mm256_set1_epi32(k); }
  static void hide(V& v) { asm volatile("" : "+x"(v)); }
  static V add(V a, V b) { return _mm256_add_epi32(a, b); }
  static int64_t checksum(V v) {
    alignas(32) int32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
    int64_t r = 0;
    for (int32_t x : lanes) r += x;
    return r;
  }
};
#endif

}  // namespace
}  // namespace qgemm_bench

#endif  // QGEMM_BENCH_PEAK_CHAINS_H_
