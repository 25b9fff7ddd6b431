// ukernel_6x16c2__avx2: the exact int16 path of AVX2, `vpmaddwd ymm` on operands widened to
// int16. Not in the registry: the library's AVX2 level is ukernel_6x16c4__avx2, which is exact
// for every input too and faster (it multiplies bytes); this kernel is built only into the
// tests' kernel library (tests/CMakeLists.txt, tests/test_kernels.h), so that the reference
// matrix and the guard-page sweep check it like every kernel, and qgemm_twin_bench measures the
// byte kernel against it on the same shapes (the "vpmaddwd path" and "vpmaddubsw path";
// docs/kernels.md has the numbers).
//
// Why a byte kernel and not a switch between the two. The usual exact AVX2 design packs B once
// and, when B holds no -128, selects a vpmaddubsw kernel on |a| and sign(a) b, else this one.
// ukernel_6x16c4__avx2 multiplies |a| by b ^ sign(a) (b, or -b - 1) and adds a per-row
// correction, which is exact for -128 as well, so there is nothing to switch to: with both
// kernels at 4 vector instructions per 32 MACs (vpxor + vpmaddubsw + vpmaddwd + vpaddd against
// 2 x (vpmaddwd + vpaddd)), the byte kernel wins on bytes (B panels half the size, half the A
// broadcasts), not on instructions.
//
// Register map (16 ymm): 12 accumulators (6 rows x 16 columns); two hold one K-pair of the B
// panel (16 columns x 2 k, int16); one takes row m's two int16 of A broadcast as one int32
// (vpbroadcastd from memory); one takes each vpmaddwd product before its vpaddd. Per K-pair: 2
// loads of B, 6 broadcast loads of A, 12 vpmaddwd + 12 vpaddd = 192 MACs.
//
// Why exact. Widened to int16, a u8 or s8 value is itself (no 128 shift, so the zero-point
// shifts are 0); vpmaddwd forms a0 b0 + a1 b1 per int32 lane, at most 2 x 255 x 255 in
// magnitude, and vpaddd wraps modulo 2^32 as the contract wants.
//
// Packing: both operands int16 in K-groups of 2 (layout_k_groups): A panel [k/2][6][2] (the
// vectorised AVX2 packer, x86/pack_avx2.h), B panel [k/2][16][2], so one K-pair of B is two ymm.
// Blocks as the byte kernel's (MC 96, NC 512, KC 1024: a B panel's K block is 32 KiB of int16).
#include <immintrin.h>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx2.h"
#include "x86/pack_avx2.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 6, kNR = 16, kKR = 2;
constexpr size_t kNV = kNR / 8;  // ymm vectors per row

// The K loop for the first R rows of the tile: 2 x R accumulators that live in registers for
// the whole loop, stored once at the end into `out` (R x 16 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  __m256i acc[R][kNV];
  zero_rows_avx2(acc);
  // A K-pair is 4 bytes per row of A (2 int16) and 32 per 8 columns of B, as a K-group of the
  // byte kernels: the shared loop step with vpmaddwd + vpaddd as the multiply-add.
  const auto* a = static_cast<const uint8_t*>(t.a);
  const auto* b = static_cast<const uint8_t*>(t.b);
#pragma GCC unroll 2
  for (size_t g = 0; g < t.k_groups; ++g, a += kMR * kKR * 2, b += kNR * kKR * 2)
    broadcast_k_group_avx2(acc, a, kKR * 2, b, [](__m256i c, __m256i bv, __m256i am) {
      return _mm256_add_epi32(c, _mm256_madd_epi16(bv, am));
    });
  store_rows_avx2(acc, out);
}

void tile_kernel(const tile_args& t) {
  tile_avx2<kMR, kNR>(t, [&](auto rows, int32_t* out) { dot_rows<decltype(rows)::value>(t, out); });
}

}  // namespace

extern const gemm_kernel ukernel_6x16c2__avx2 = {
    "ukernel_6x16c2__avx2", QGEMM_ISA_AVX2,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, /*kc=*/1024,
    packed_elem::s16, packed_elem::s16,
    &pack_a_avx2<kMR, packed_elem::s16>,
    &pack_panels<kNR, packed_elem::s16, layout_k_groups<kNR, kKR>>,
    &tile_kernel,
};

}  // namespace qgemm::detail
