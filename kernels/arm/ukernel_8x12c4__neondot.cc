// ukernel_8x12c4__neondot: Armv8.2-A dot product (FEAT_DotProd: Neoverse N1, Cortex-A76 and
// later), `sdot v.4s, v.16b, v.4b[lane]`.
//
// Operands. sdot multiplies signed bytes by signed bytes (udot: unsigned by unsigned; there is
// no mixed form before i8mm). So both operands are packed as s8: a u8 operand is shifted by
// x ^ 0x80 (x - 128) while packing and the zero-point terms absorb the shift (core/kernel.h).
// One sdot lane sums 4 products of at most 128 * 128 into int32 without saturating, so the
// tile is exact modulo 2^32 for any K.
//
// Register map (32 q registers). Per K-group of 4: two q of A (8 rows x 4 k), three q of B
// (12 columns x 4 k); row m's 4 bytes are the lane operand of its 3 sdot (any of v0-v31 may be
// the lane register of sdot). Accumulators: 8 rows x 12 columns = 24 q. 24 + 2 + 3 = 29: 8 x 12
// is the largest tile that fits (8 x 16 needs 32 accumulators, 12 x 12 needs 36).
// Per K-group: 24 sdot = 384 MACs for 5 loads.
//
// Packing: both operands in K-groups of 4 (layout_k_groups): A panel [k/4][8][4] s8, B panel
// [k/4][12][4] s8 — one K-group of A is two q loads, of B three.
#include <arm_neon.h>

#include <utility>

#include "arm/epilogue_neon.h"
#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 8, kNR = 12, kKR = 4;

// One K-group of row M: its 4 bytes are lane M % 4 of `a` (a function per row rather than a
// pack expansion inside the intrinsics: clang's lane intrinsics are macros).
template <size_t M>
inline __attribute__((always_inline)) void step_row(int32x4_t (&acc)[3], int8x16_t a,
                                                     int8x16_t b0, int8x16_t b1, int8x16_t b2) {
  acc[0] = vdotq_laneq_s32(acc[0], b0, a, M % 4);
  acc[1] = vdotq_laneq_s32(acc[1], b1, a, M % 4);
  acc[2] = vdotq_laneq_s32(acc[2], b2, a, M % 4);
}

template <size_t... M>
inline __attribute__((always_inline)) void step(int32x4_t (*acc)[3], int8x16_t a0, int8x16_t a1,
                                                 int8x16_t b0, int8x16_t b1, int8x16_t b2,
                                                 std::index_sequence<M...>) {
  (step_row<M>(acc[M], M < 4 ? a0 : a1, b0, b1, b2), ...);
}

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
template <size_t R>
void tile_rows(const tile_args& t) {
  int32x4_t acc[R][3];
  for (size_t m = 0; m < R; ++m) acc[m][0] = acc[m][1] = acc[m][2] = vdupq_n_s32(0);
  const auto* a = static_cast<const int8_t*>(t.a);
  const auto* b = static_cast<const int8_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    const int8x16_t a0 = vld1q_s8(a);
    const int8x16_t a1 = R > 4 ? vld1q_s8(a + 16) : a0;
    const int8x16_t b0 = vld1q_s8(b);
    const int8x16_t b1 = vld1q_s8(b + 16);
    const int8x16_t b2 = vld1q_s8(b + 32);
    step(acc, a0, a1, b0, b1, b2, std::make_index_sequence<R>{});
    a += kMR * kKR;
    b += kNR * kKR;
  }
  int32_t dot[R * kNR];
  for (size_t m = 0; m < R; ++m)
    for (size_t j = 0; j < 3; ++j) vst1q_s32(dot + m * kNR + 4 * j, acc[m][j]);
  finish_tile_neon<R, kNR>(dot, t);
}

void tile_8x12c4(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

}  // namespace

extern const gemm_kernel ukernel_8x12c4__neondot = {
    "ukernel_8x12c4__neondot", QGEMM_ISA_NEONDOT,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/1008, /*kc=*/1024,
    packed_elem::s8, packed_elem::s8,
    &pack_panels<kMR, packed_elem::s8, layout_k_groups<kMR, kKR>>,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_8x12c4,
};

}  // namespace qgemm::detail
