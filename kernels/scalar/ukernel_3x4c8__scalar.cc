// ukernel_3x4c8__scalar: the portable kernel, plain C++ for any CPU, compiled with the
// library's baseline flags only (x86-64: SSE2; aarch64: NEON).
//
// Why this form. Baseline x86-64 has one instruction that multiplies 8-bit-range data fast:
// pmaddwd, int16 x int16 -> int32 with adjacent pairs added (NEON: smlal/sadalp). Compilers
// emit it, without intrinsics, for one loop shape only: a reduction `sum += int32(a[k]) * b[k]`
// over contiguous int16 runs. So the packer widens A and B to int16 once and stores each row of
// A and each column of B contiguously within a K block (layout_k_blocks), and the tile is a
// 3 x 4 block of such reductions sharing their loads.
//
// Register map (baseline x86-64, 16 xmm): 12 int32x4 accumulators (one per row x column pair,
// each holding 4 partial sums of pairs of k), 3 xmm of A (8 k of each row) and 4 of B loaded per
// 8 k — 12 pmaddwd + 12 paddd for 7 loads and 96 MACs. NEON's 32 q registers hold the same.
// K is padded to 8 (one xmm of int16): KR = 8.
//
// Exactness. |A'| <= 255 and |B'| <= 255 (int16 widening of 8-bit data, no shift), so one K
// block of KC = 16384 sums at most 16384 * 65025 < 2^31: the int32 reduction cannot overflow
// inside a block, and blocks are combined modulo 2^32 by finish_tile.
//
// Why KC is that large. This kernel streams B from L2 as fast as from L1 (its loads are not the
// bottleneck), so K blocking buys nothing and costs the partial-sum round trips and shorter
// streams. Measured (one core, median of 5): KC = 16384 against 1024 gives sq2048 71 vs 49
// GOPS, llama7b_qkv_m1 16 vs 8.6, llama7b_qkv_m128 77 vs 67, and no shape lost.
//
// Measured on the project's machine (one core, g++ 12 -O3, a tile fed from L1/L2): 50-88 GOPS
// for K = 64..1024, against 20-25 for the best layout with k interleaved in pairs (4x8c2); the
// 3 x 4 tile beat 2x4, 3x3, 4x2, 4x3 and 2x2 by a few percent, and its one-row form (M = 1)
// keeps 57-72.
#include "core/epilogue.h"
#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 3, kNR = 4, kKR = 8, kKC = 16384;
static_assert(kKC * 255 * 255 < (size_t{1} << 31), "one K block must not overflow int32");

// The first R rows of the tile (R = t.m): an edge tile, and the M = 1 of LLM decode, do not pay
// for the padding rows of the packed A panel.
template <size_t R>
void tile_rows(const tile_args& t) {
  const size_t kc = t.k_groups * kKR;  // this block's length: rows are kc apart
  const auto* a = static_cast<const int16_t*>(t.a);
  const auto* b = static_cast<const int16_t*>(t.b);
  int32_t acc[kMR][kNR] = {};
  for (size_t k = 0; k < kc; ++k)
    for (size_t m = 0; m < R; ++m)
      for (size_t n = 0; n < kNR; ++n) acc[m][n] += int32_t{a[m * kc + k]} * b[n * kc + k];
  finish_tile(acc, t);  // reads rows < t.m only
}

void tile_3x4c8(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

}  // namespace

extern const gemm_kernel ukernel_3x4c8__scalar = {
    "ukernel_3x4c8__scalar", QGEMM_ISA_SCALAR,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, kKC,
    packed_elem::s16, packed_elem::s16,
    &pack_panels<kMR, packed_elem::s16, layout_k_blocks<kMR, kKR, kKC>>,
    &pack_panels<kNR, packed_elem::s16, layout_k_blocks<kNR, kKR, kKC>>,
    &tile_3x4c8,
};

}  // namespace qgemm::detail
