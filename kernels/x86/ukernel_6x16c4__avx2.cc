// ukernel_6x16c4__avx2: the narrow-B variant of the AVX2 level, `vpmaddubsw ymm` on byte
// operands. Used only for a B that, read as int8, never holds -128 (symmetric weights in
// [-127, 127]); core/driver.cc checks B when packing it and picks this kernel through
// ukernel_6x16c2__avx2's narrow_b_variant. It is not a registry line.
//
// Why it is exact. vpmaddubsw multiplies unsigned bytes by signed bytes and adds each adjacent
// pair of products into an int16 that SATURATES. With A' = a as int8 (u8 data shifted by
// x ^ 0x80) in [-128, 127] and B' = b as int8 in [-127, 127] (the narrow condition), the kernel
// feeds it u = |a| (vpabsb: at most 128, fits the unsigned operand) and s = sign(a) * b
// (|s| <= 127: negating b never meets the unrepresentable -(-128), which is why B must not hold
// -128). Each product u * s = a * b is at most 128 * 127 = 16256 in magnitude, so a pair sum is
// at most 32512 < 32767: it never saturates. vpmaddwd with int16 ones then adds adjacent pairs
// into an int32 (4 products, exact), and vpaddd accumulates modulo 2^32 as the contract wants.
// Zero points: both panels are s8, so the driver's zero-point shifts (-128 for u8 data) absorb
// the x ^ 0x80, as for every kernel (core/kernel.h).
//
// What it costs. Per row and K-group: vpbroadcastd (a load), vpabsb and vpcmpgtb (the lanes
// where a < 0). Per 8 columns x 4 k of that row (32 MACs): s = (b ^ neg) - neg (vpxor + vpsubb),
// vpmaddubsw, vpmaddwd, vpaddd: 5 ops, 5.75 with the row's share, against 4 for the vpmaddwd
// path (vpmaddwd + vpaddd per 16 MACs). vpsignb would do the sign in one op, but on Zen 4 it
// competes with the multiplies for their pipes; vpxor/vpsubb run on any vector pipe and measured
// faster. Throwaway microbenchmarks (one core, CPU time, 12 independent accumulators, ymm):
//     vpmaddwd + vpaddd                                   189 GOPS
//     vpmaddubsw + vpmaddwd + vpaddd (not exact here)     235 GOPS
//     the same + vpsignb (+ vpabsb per 2)                 131 GOPS
//     the same + vpxor/vpsubb (+ vpabsb, vpcmpgtb per 2)  153 GOPS  <- this kernel's mix
// So where the vector ALUs are the limit (square GEMMs) this path is ~0.75x of the vpmaddwd
// kernel (sq1024: 124 vs 160 GOPS), and 1.2x is out of reach for any exact form: the unsigned
// operand of vpmaddubsw must be |a| (u8 A reaches 255, and 255 * 127 * 2 saturates), so the sign
// fix depends on the row and the column vector and costs at least one op per vpmaddubsw; no
// packing of A or B moves it out of the loop. What this kernel does buy is bytes: B is packed
// as int8, half of the vpmaddwd path's int16 panels, and that is what decode-sized GEMMs are
// limited by (llama7b_qkv_m1: 2.5-3.3x the vpmaddwd kernel).
//
// Register map (16 ymm): ymm0-11 hold the 6 x 16 int32 tile (row m: two accumulators, columns
// 0-7 and 8-15). The rest is one K-group of B (16 columns x 4 k, 2 ymm), A's 4 bytes broadcast,
// |a|, the a < 0 mask, the int16 ones, and one temporary (s, then the int16 pair sums, then the
// int32 sums): 19 live values, so GCC keeps two accumulators of the last row in memory
// (read-modify-write of an L1 line per K-group). 5 and 4 rows, which fit, measured the same
// (123-125 GOPS on sq1024): the loop is bound by vector ops, not by those accesses, and 6 rows
// keep the level kernel's MR.
//
// Packing: both operands s8 in K-groups of 4 (layout_k_groups): A panel [k/4][6][4], B panel
// [k/4][16][4], so one K-group of B is two ymm loads. A is packed by x86/pack_avx2.h
// (vectorised when A is k-contiguous).
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx2.h"
#include "x86/pack_avx2.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 6, kNR = 16, kKR = 4;

// The K loop for the first R rows of the tile: accumulators live in registers for the whole
// loop (every index into `acc` is a constant after unrolling), stored once into `out`.
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  constexpr size_t kNV = kNR / 8;
  __m256i acc[R][kNV];
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v) acc[m][v] = _mm256_setzero_si256();

  const __m256i ones = _mm256_set1_epi16(1);
  const auto* a = static_cast<const int8_t*>(t.a);
  const auto* b = static_cast<const int8_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    __m256i bv[kNV];
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v)
      bv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + v * 32));
#pragma GCC unroll 8
    for (size_t m = 0; m < R; ++m) {
      int32_t a4;
      std::memcpy(&a4, a + m * kKR, sizeof a4);
      const __m256i am = _mm256_set1_epi32(a4);
      const __m256i abs_a = _mm256_abs_epi8(am);  // u: |a| <= 128
      const __m256i negative = _mm256_cmpgt_epi8(_mm256_setzero_si256(), am);  // -1 where a < 0
#pragma GCC unroll 4
      for (size_t v = 0; v < kNV; ++v) {
        // s = sign(a) b, |s| <= 127: (b ^ neg) - neg negates b where a < 0 (and where a == 0
        // the product is 0 whatever s is). Two ops on any vector pipe; see the header.
        const __m256i signed_b = _mm256_sub_epi8(_mm256_xor_si256(bv[v], negative), negative);
        const __m256i pairs = _mm256_maddubs_epi16(abs_a, signed_b);  // |pair| <= 32512
        acc[m][v] = _mm256_add_epi32(acc[m][v], _mm256_madd_epi16(pairs, ones));
      }
    }
    a += kMR * kKR;
    b += kNR * kKR;
  }
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v)
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + m * kNR + v * 8), acc[m][v]);
}

template <size_t R>
void tile_rows(const tile_args& t) {
  alignas(32) int32_t dot[R * kNR];
  dot_rows<R>(t, dot);
  finish_tile_avx2<R, kNR>(dot, t);
}

template <size_t... R>
void tile_dispatch(const tile_args& t, std::index_sequence<R...>) {
  using fn = void (*)(const tile_args&);
  static constexpr fn by_rows[] = {&tile_rows<R + 1>...};
  by_rows[t.m - 1](t);
}

void tile_kernel(const tile_args& t) { tile_dispatch(t, std::make_index_sequence<kMR>{}); }

}  // namespace

// `extern`: ukernel_6x16c2__avx2.cc refers to it as its narrow_b_variant.
extern const gemm_kernel ukernel_6x16c4__avx2 = {
    "ukernel_6x16c4__avx2", QGEMM_ISA_AVX2,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, /*kc=*/1024,
    packed_elem::s8, packed_elem::s8,
    &pack_a_avx2<kMR, packed_elem::s8>,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_kernel,
};

}  // namespace qgemm::detail
