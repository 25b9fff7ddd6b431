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

#include <cstring>

#include "peak.h"
#include "peak_chains.h"

namespace qgemm_bench {
namespace {

constexpr int kChains = 16;  // 32 zmm registers: 16 chains + inputs + temporaries fit

template <class T>
void hide(T& x) {
  asm volatile("" : "+v"(x));
}

// (Not _mm512_reduce_add_*: GCC 12 warns falsely inside them, -Wuninitialized.)
template <class T, int Lanes, class Vec>
int64_t lane_sum(Vec v) {
  alignas(64) T lanes[Lanes];
  std::memcpy(lanes, &v, sizeof v);
  int64_t r = 0;
  for (T x : lanes) r += static_cast<int64_t>(x);
  return r;
}

struct zmm_i32 {
  using V = __m512i;
  static V start(int k) { return _mm512_set1_epi32(k); }
  static void hide(V& v) { qgemm_bench::hide(v); }
  static V add(V a, V b) { return _mm512_add_epi32(a, b); }
  static int64_t checksum(V v) { return lane_sum<int32_t, 16>(v); }
};
struct ymm_i32 {
  using V = __m256i;
  static V start(int k) { return _mm256_set1_epi32(k); }
  static void hide(V& v) { qgemm_bench::hide(v); }
  static V add(V a, V b) { return _mm256_add_epi32(a, b); }
  static int64_t checksum(V v) { return lane_sum<int32_t, 8>(v); }
};
struct zmm_f32 {
  using V = __m512;
  static V start(int k) { return _mm512_set1_ps(static_cast<float>(k)); }
  static void hide(V& v) { qgemm_bench::hide(v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static int64_t checksum(V v) { return lane_sum<int32_t, 16>(v); }  // the bits: a checksum
};

int64_t vpdpbusd_zmm(int64_t iters) {
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-5);
  hide(a);
  hide(b);
  return run_chains<kChains, zmm_i32>(iters, [&](__m512i& x) { x = _mm512_dpbusd_epi32(x, a, b); });
}

// The EVEX ymm form (AVX512-VNNI + VL; this file is not compiled with -mavxvnni, so the
// compiler cannot pick the VEX encoding).
int64_t vpdpbusd_ymm(int64_t iters) {
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-5);
  hide(a);
  hide(b);
  return run_chains<kChains, ymm_i32>(iters, [&](__m256i& x) { x = _mm256_dpbusd_epi32(x, a, b); });
}

// u8 x s8 pairs -> s16 (vpmaddubsw), s16 pairs -> s32 (vpmaddwd with ones), accumulate.
int64_t maddubs_zmm(int64_t iters) {
  __m512i b = _mm512_set1_epi8(-5), ones = _mm512_set1_epi16(1);
  hide(b);
  hide(ones);
  return run_chains<kChains, zmm_i32>(iters, [&](__m512i& x) {
    __m512i t;  // x += madd(maddubs(x as u8, b), ones)
    asm("vpmaddubsw %[b], %[x], %[t]\n\t"
        "vpmaddwd %[ones], %[t], %[t]\n\t"
        "vpaddd %[t], %[x], %[x]"
        : [x] "+v"(x), [t] "=&v"(t)
        : [b] "v"(b), [ones] "v"(ones));
  });
}

// s16 x s16 pairs -> s32 (vpmaddwd), accumulate (vpaddd): A and B widened to 16 bits.
int64_t madd_zmm(int64_t iters) {
  __m512i b = _mm512_set1_epi16(-5);
  hide(b);
  return run_chains<kChains, zmm_i32>(iters, [&](__m512i& x) {
    __m512i t;  // x += madd(x, b)
    asm("vpmaddwd %[b], %[x], %[t]\n\t"
        "vpaddd %[t], %[x], %[x]"
        : [x] "+v"(x), [t] "=&v"(t)
        : [b] "v"(b));
  });
}

int64_t fma_zmm(int64_t iters) {
  __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-7f);
  hide(a);
  hide(b);
  return run_chains<kChains, zmm_f32>(iters, [&](__m512& x) { x = _mm512_fmadd_ps(a, b, x); });
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
