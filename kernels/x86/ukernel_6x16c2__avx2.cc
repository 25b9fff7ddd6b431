// ukernel_6x16c2__avx2: the AVX2 path, `vpmaddwd ymm` on operands widened to int16. Exact for
// every input.
//
// Register map (16 ymm): ymm0-11 hold the 6 x 16 int32 tile (row m: two accumulators, columns
// 0-7 and 8-15); ymm12-13 hold one K-pair of the B panel (16 columns x 2 k, int16); ymm14 holds
// row m's two int16 of A broadcast as one int32 (vpbroadcastd from memory: a load, no shuffle);
// ymm15 takes each vpmaddwd product before its vpaddd. Per K-pair: 2 loads of B, 6 broadcast
// loads of A, 12 vpmaddwd + 12 vpaddd = 192 MACs. Six rows of two vectors is the largest tile
// that leaves registers for B, A and a product (4 x 24 would fit too, with one more B load
// per K-pair and fewer rows; it measured no faster here, and 16 columns waste less on narrow N).
//
// Why vpmaddwd. AVX2 multiplies bytes only with vpmaddubsw, whose int16 pair sums saturate
// (255 * 127 * 2 > 32767), so the exact path widens both operands to int16 while packing:
// vpmaddwd forms a0 * b0 + a1 * b1 per int32 lane, at most 2 * 255^2 in magnitude, and
// vpaddd sums wrap modulo 2^32 as the contract wants. Widening is not a 128 shift, so the
// zero-point shifts are 0. When B never holds -128 (symmetric weights), B is packed for the
// narrow-B variant ukernel_6x16c4__avx2 instead (vpmaddubsw; see that file).
//
// Packing: both operands int16 in K-groups of 2 (layout_k_groups): A panel [k/2][6][2],
// B panel [k/2][16][2], so one K-pair of B is exactly two ymm loads. A is packed by
// x86/pack_avx2.h (vectorised when A is k-contiguous).
//
// Blocks: KC = 1024 keeps a B panel (1024 x 16 int16 = 32 KiB) streaming from L1/L2 and no
// partial-sum round trips up to K = 1024; MC = 96 rows of A (96 x 1024 x 2 = 192 KiB) stay in
// L2 across a column block of NC = 512 (B block 1 MiB, streamed).
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx2.h"
#include "x86/pack_avx2.h"

namespace qgemm::detail {

extern const gemm_kernel ukernel_6x16c4__avx2;  // the narrow-B variant

namespace {

constexpr size_t kMR = 6, kNR = 16, kKR = 2;

// The K loop for the first R rows of the tile: 2 x R accumulators that live in registers for
// the whole loop (every index into `acc` is a constant after unrolling), stored once at the end
// into `out` (R x 16 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  constexpr size_t kNV = kNR / 8;  // ymm vectors per row
  __m256i acc[R][kNV];
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v) acc[m][v] = _mm256_setzero_si256();

  const auto* a = static_cast<const int16_t*>(t.a);
  const auto* b = static_cast<const int16_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    __m256i bv[kNV];
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v)
      bv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + v * 16));
#pragma GCC unroll 8
    for (size_t m = 0; m < R; ++m) {
      int32_t a2;
      std::memcpy(&a2, a + m * kKR, sizeof a2);
      const __m256i am = _mm256_set1_epi32(a2);  // vpbroadcastd from memory
#pragma GCC unroll 4
      for (size_t v = 0; v < kNV; ++v)
        acc[m][v] = _mm256_add_epi32(acc[m][v], _mm256_madd_epi16(bv[v], am));
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

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
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

extern const gemm_kernel ukernel_6x16c2__avx2 = {
    "ukernel_6x16c2__avx2", QGEMM_ISA_AVX2,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, /*kc=*/1024,
    packed_elem::s16, packed_elem::s16,
    &pack_a_avx2<kMR, packed_elem::s16>,
    &pack_panels<kNR, packed_elem::s16, layout_k_groups<kNR, kKR>>,
    &tile_kernel,
    /*narrow_b_variant=*/&ukernel_6x16c4__avx2,
};

}  // namespace qgemm::detail
