// ukernel_6x16c4__avxvnni: `{vex} vpdpbusd ymm` (AVX-VNNI: Alder Lake, Gracemont, Sierra Forest
// and later x86 cores without AVX-512), compiled with -mavx2 -mfma -mavxvnni and nothing else.
//
// Arithmetic: that of ukernel_14x32c4__avx512vnni on 8 lanes. vpdpbusd multiplies unsigned
// bytes (its first source) by signed bytes (its second) and adds each group of 4 products to an
// int32 lane without saturation, so A (the broadcast operand) is packed as s8 and B as u8; a u8
// A or an s8 B is shifted by x ^ 0x80 while packing, and the zero-point terms absorb the shift
// (core/kernel.h, zero_point_shift). Exact modulo 2^32 for every input, -128 included.
//
// Register map (16 ymm, the whole VEX register file): ymm0-11 hold the 6 x 16 int32 tile (row m:
// two accumulators, columns 0-7 and 8-15); two hold one K-group of the B panel (16 columns x 4 k,
// u8); one holds row m's 4 bytes of A, broadcast to every dword (VEX has no embedded {1to8}
// broadcast, so vpbroadcastd from memory, a load-port uop, fills it); one is left for the
// compiler. Per K-group: 2 loads of B, 6 broadcast loads of A, 12 vpdpbusd = 384 MACs.
//
// Why 6 x 16. vpdpbusd ymm has a latency of ~5 cycles and a throughput of 2 per cycle on Golden
// Cove, so at least 10 independent accumulators are needed; 12 is the most that fits beside B
// and A. Of the tiles with 12 accumulators: 6 x 16 needs 15 registers and 8 loads per 12
// vpdpbusd; 4 x 24 needs all 16 (the compiler then spills) and 7 loads per 12, and its 96-byte
// K-group of B crosses a cache line on every other load, where 6 x 16's 64-byte K-group is one
// line; 12 x 8 needs 12 broadcasts + 1 load per 12. Both cores that run AVX-VNNI (Golden Cove:
// 3 loads per cycle; Gracemont: 2) issue 8 loads per 6 cycles without stalling the vpdpbusd.
//
// Blocking (driver.cc: the B panel KC x NR stays in L1 across the ir loop, the A block MC x KC in
// L2 across the jr loop). KC = 1024: a B panel is 1024 x 16 = 16 KB, half of the smallest L1D
// that runs this ISA (Gracemont's 32 KB; Golden Cove has 48 KB), leaving room for the streaming
// A panel (6 KB) and C. KC = 2048 would fill Gracemont's L1 with B alone. MC = 96 (16 panels):
// the A block is 96 KB, far inside every L2 of these cores (1.25 MB and up), and each B panel
// fetched from L2 is reused by 16 tiles, which makes its refill negligible (16 KB per
// 16 x 256 x 6 cycles). NC = 512: a B block of 512 KB, and a split-K partial buffer of
// 96 x 512 x 4 = 192 KB. The same blocks as ukernel_6x16c4__avx2, whose panels have the same
// shapes.
//
// Measured only as the EVEX twin (below) on Zen 4, a core this kernel is not for (one core,
// taskset, medians of three runs of three repetitions, shared machine): sq1024 329 GOPS, 72% of
// peak/vpdpbusd_ymm (456, the EVEX ymm form); unrolling the K loop by two K-groups took it from
// 310; plain stores of whole rows in the epilogue and a prefetch of the tile's C lines
// (epilogue_avx2.h) then took it to 385-402 GOPS, 84-86% of a peak/vpdpbusd_ymm of 455-467
// measured alternately.
//
// Packing. A panel: K-groups of 4 of s8 ([k/4][6][4], layout_k_groups), by x86/pack_avx2.h, the
// AVX2 level's packer (the same format, before that kernel splits it). B panel: [k/4][16][4] u8
// by the generic packer, so one K-group is exactly two ymm loads.
//
// Testing without the hardware. The machines this project is developed on have AVX512-VNNI but
// not AVX-VNNI. Every vpdpbusd of this file goes through dpbusd() below; compiled with
// -DQGEMM_AVXVNNI_TWIN and AVX512-VL + VNNI flags instead (tests/kernels/
// ukernel_6x16c4__avxvnni_evex_twin.cc), it is the EVEX form of the same instruction (same
// operands, same semantics) and the rest of the file is unchanged: that twin runs through the
// whole reference-comparison matrix (tests/test_kernels.h). It is never registered or
// dispatched. tests/check_avxvnni_encoding.cmake checks with objdump that this file's object
// holds only VEX vpdpbusd and no EVEX instruction.
#include <immintrin.h>

#include <cstring>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx2.h"
#include "x86/pack_avx2.h"

#if defined(QGEMM_AVXVNNI_TWIN)
#if !defined(__AVX512VL__) || !defined(__AVX512VNNI__)
#error "the AVX-VNNI test twin needs -mavx512vl -mavx512vnni"
#endif
#define QGEMM_AVXVNNI_KERNEL ukernel_6x16c4__avxvnni_evex_twin
#else
#if !defined(__AVXVNNI__) || defined(__AVX512F__)
#error "ukernel_6x16c4__avxvnni is compiled with -mavx2 -mfma -mavxvnni and no AVX-512 flag"
#endif
#define QGEMM_AVXVNNI_KERNEL ukernel_6x16c4__avxvnni
#endif
#define QGEMM_AVXVNNI_STR2(x) #x
#define QGEMM_AVXVNNI_STR(x) QGEMM_AVXVNNI_STR2(x)

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 6, kNR = 16, kKR = 4;
constexpr size_t kMC = 96, kNC = 512, kKC = 1024;
constexpr size_t kNV = kNR / 8;  // ymm vectors per row

// acc + the sums of 4 products u8 x s8 per int32 lane, wrapping: the one instruction of the file.
inline __attribute__((always_inline)) __m256i dpbusd(__m256i acc, __m256i u8, __m256i s8) {
#if defined(QGEMM_AVXVNNI_TWIN)
  return _mm256_dpbusd_epi32(acc, u8, s8);      // EVEX (AVX512-VNNI + VL)
#else
  return _mm256_dpbusd_avx_epi32(acc, u8, s8);  // {vex} (AVX-VNNI)
#endif
}

// One K-group for R rows (x86/epilogue_avx2.h): the group's 2 B vectors at `b` (u8, 16 columns
// x 4 k), per row m its 4 bytes of A at a + m * a_stride broadcast, dot products added to acc[m].
template <size_t R>
inline __attribute__((always_inline)) void dot_k_group(__m256i (&acc)[R][kNV], const uint8_t* a,
                                                      size_t a_stride, const uint8_t* b) {
  broadcast_k_group_avx2(acc, a, a_stride, b, [](__m256i c, __m256i bv, __m256i am) {
    return dpbusd(c, bv, am);
  });
}

// The K loop for the first R rows of the tile: 2 x R accumulators that live in registers for
// the whole loop (every index into `acc` is a constant after unrolling), stored once at the end
// into `out` (R x 16 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  __m256i acc[R][kNV];
  zero_rows_avx2(acc);
  const auto* a = static_cast<const uint8_t*>(t.a);
  const auto* b = static_cast<const uint8_t*>(t.b);
#pragma GCC unroll 2
  for (size_t g = 0; g < t.k_groups; ++g, a += kMR * kKR, b += kNR * kKR)
    dot_k_group(acc, a, kKR, b);
  store_rows_avx2(acc, out);
}

void tile_kernel(const tile_args& t) {
  tile_avx2<kMR, kNR>(t, [&](auto rows, int32_t* out) { dot_rows<decltype(rows)::value>(t, out); });
}

// Small M (decode), as in ukernel_14x32c4__avx512vnni: rows of A packed contiguously (a panel
// of one row in K-groups is just the row, shifted to s8 and zero-padded to kp), B read panel
// after panel, one sequential stream from its first byte to its last. Per K-group and row: one
// broadcast and two vpdpbusd on 64 bytes of B. The int32 sums run over all of K (vpdpbusd wraps
// modulo 2^32, as the contract wants), so no K blocking is needed.
constexpr size_t kGemvMaxM = 4;

// Each accumulator takes one vpdpbusd per K-group, so a K-group waits for the last one's
// result: with R <= 2 rows (4 accumulators or fewer) the loop runs at the instruction's latency,
// 64 bytes of B per 4 cycles on Zen 5 (60 GB/s at 4 GHz: llama7b_qkv_m1, whose B sits in L3,
// ran at 121 GOPS against the AVX2 byte kernel's 176). Two chains, even and odd K-groups,
// added at the end (wrapping int32 addition is associative: the sums are the same), lift that
// bound: dev harness (one thread, min CPU time, QGEMM_ISA=avxvnni), 2 alternating runs on Zen 5:
// llama7b_qkv_m1 129 -> 203-222 GOPS, M = 2 on 4096 x 4096 236-247 -> 335-355; up_m1, whose B
// streams from memory, 84-87 -> 86-90. Three and four rows (6, 8 accumulators) are bound by
// vpdpbusd's throughput instead and keep one chain.
template <size_t R>
constexpr size_t kGemvChains = R <= 2 ? 2 : 1;

template <size_t R>
void gemv_rows(const gemv_args& g) {
  pack_args pa = g.a;
  pack_a_avx2<1>(pa);
  const auto* a_rows = static_cast<const uint8_t*>(pa.dst);
  const auto* panels = static_cast<const uint8_t*>(g.b_panels);
  for (size_t col = 0; col < g.n; col += kNR) {
    const uint8_t* b = panels + col * g.kp;  // panel col / NR holds kp * NR bytes
    __m256i acc[kGemvChains<R>][R][kNV];
#pragma GCC unroll 2
    for (size_t c = 0; c < kGemvChains<R>; ++c) zero_rows_avx2(acc[c]);
    k_groups_in_chains<kGemvChains<R>>(g.kp, kKR, [&](size_t c, size_t k) {
      dot_k_group(acc[c], a_rows + k, g.kp, b + k * kNR);
    });
    add_chains_into_first(acc, [](__m256i x, __m256i y) { return _mm256_add_epi32(x, y); });
    gemv_epilogue_avx2(acc[0], pa.sums, col, g);
  }
}

void gemv_kernel(const gemv_args& g) {
  with_rows<kGemvMaxM>(g.m, [&](auto rows) { gemv_rows<decltype(rows)::value>(g); });
}

}  // namespace

extern const gemm_kernel QGEMM_AVXVNNI_KERNEL = {
    QGEMM_AVXVNNI_STR(QGEMM_AVXVNNI_KERNEL), QGEMM_ISA_AVXVNNI,
    kMR, kNR, kKR,
    kMC, kNC, kKC,
    packed_elem::s8, packed_elem::u8,
    &pack_a_avx2<kMR>,
    &pack_panels<kNR, packed_elem::u8, layout_k_groups<kNR, kKR>>,
    &tile_kernel,
    &gemv_kernel,
    kGemvMaxM,
};

}  // namespace qgemm::detail
