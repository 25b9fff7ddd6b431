// ukernel_14x32c2__avx512bw: the exact x86 path of AVX-512 without VNNI, `vpmaddwd zmm` on
// operands widened to int16.
//
// Register map (32 zmm): zmm0-27 hold the 14 x 32 int32 tile (row m: two accumulators, columns
// 0-15 and 16-31); zmm28-29 hold one K-pair of the B panel (32 columns x 2 k, int16); zmm30 holds
// row m's int16 pair of A broadcast to all 16 dwords (vpbroadcastd from memory: vpmaddwd is a
// word instruction and, like every AVX512BW byte/word instruction, has no {1to16} embedded
// broadcast); zmm31 takes each vpmaddwd product before its vpaddd into the accumulator
// (vpmaddwd cannot accumulate). Per K-pair: 2 loads of B, 14 broadcast loads of A, 28 vpmaddwd
// and 28 vpaddd = 896 MACs. 14 rows is the most that leaves the 4 registers for B, A and the
// product.
//
// Exactness. Both operands are bytes widened to int16 (u8 in [0, 255], s8 in [-128, 127]), so
// the packing shifts nothing and the zero-point shift is 0 on both sides. Each product is at most
// 255^2 = 65025 in magnitude and each vpmaddwd pair sum at most 130050: exact in int32 (the one
// case where vpmaddwd wraps, both pairs -32768 * -32768, cannot occur). The vpaddd sums wrap
// modulo 2^32, as the contract does.
//
// Packing: both operands in K-groups of 2 (layout_k_groups): A panel [k/2][14][2] int16, B panel
// [k/2][32][2] int16, so one K-pair of B is exactly two zmm loads and one row of A one dword.
//
// Symmetric weights (B never -128 as int8) switch to ukernel_12x32c4__avx512bw, the vpmaddubsw
// path on bytes (narrow_b_variant below).
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx512.h"

namespace qgemm::detail {

extern const gemm_kernel ukernel_12x32c4__avx512bw;

namespace {

constexpr size_t kMR = 14, kNR = 32, kKR = 2;

// The K loop over the first R rows: 2 x R accumulators that live in registers for the whole loop
// (every index into `acc` is a constant after unrolling), stored once at the end into `out`
// (R x 32 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  __m512i acc[R][2];
#pragma GCC unroll 14
  for (size_t m = 0; m < R; ++m) acc[m][0] = acc[m][1] = _mm512_setzero_si512();

  const auto* a = static_cast<const int16_t*>(t.a);
  const auto* b = static_cast<const int16_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 32);
#pragma GCC unroll 14
    for (size_t m = 0; m < R; ++m) {
      int32_t a2;
      std::memcpy(&a2, a + m * kKR, sizeof a2);
      const __m512i am = _mm512_set1_epi32(a2);  // vpbroadcastd from memory
      acc[m][0] = _mm512_add_epi32(acc[m][0], _mm512_madd_epi16(b0, am));
      acc[m][1] = _mm512_add_epi32(acc[m][1], _mm512_madd_epi16(b1, am));
    }
    a += kMR * kKR;
    b += kNR * kKR;
  }
#pragma GCC unroll 14
  for (size_t m = 0; m < R; ++m) {
    _mm512_store_si512(out + m * kNR, acc[m][0]);
    _mm512_store_si512(out + m * kNR + 16, acc[m][1]);
  }
}

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
template <size_t R>
void tile_rows(const tile_args& t) {
  alignas(64) int32_t dot[R * kNR];
  dot_rows<R>(t, dot);
  finish_tile16<R, kNR>(dot, t);
}

template <size_t... R>
void tile_dispatch(const tile_args& t, std::index_sequence<R...>) {
  using fn = void (*)(const tile_args&);
  static constexpr fn by_rows[] = {&tile_rows<R + 1>...};
  by_rows[t.m - 1](t);
}

void tile_14x32c2(const tile_args& t) { tile_dispatch(t, std::make_index_sequence<kMR>{}); }

}  // namespace

extern const gemm_kernel ukernel_14x32c2__avx512bw = {
    "ukernel_14x32c2__avx512bw", QGEMM_ISA_AVX512BW,
    kMR, kNR, kKR,
    /*mc=*/112, /*nc=*/512, /*kc=*/512,
    packed_elem::s16, packed_elem::s16,
    &pack_panels<kMR, packed_elem::s16, layout_k_groups<kMR, kKR>>,
    &pack_panels<kNR, packed_elem::s16, layout_k_groups<kNR, kKR>>,
    &tile_14x32c2,
    /*narrow_b_variant=*/&ukernel_12x32c4__avx512bw,
};

}  // namespace qgemm::detail
