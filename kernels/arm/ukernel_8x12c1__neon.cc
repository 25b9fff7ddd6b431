// ukernel_8x12c1__neon: the Armv8-A baseline kernel (every aarch64 CPU), `smlal` by element.
//
// Why this form. Baseline NEON multiplies 8-bit data by widening: smull/umull (8 x 8 -> 16 bit)
// or smlal (16 x 16 -> 32 bit, accumulating). Products of two 8-bit values do not fit int16 in
// general (255 * 255, or two s8 products -128 * -128 summed), so an exact kernel widens to
// int16 once, when packing, and multiply-accumulates int16 x int16 into int32: `smlal(2)
// v.4s, v.4h, v.h[lane]` adds 4 exact products to 4 int32 lanes, wrapping modulo 2^32 as the
// contract's accumulator does. No K blocking is needed for exactness.
//
// Register map (32 q registers). Per k: one q of A (8 rows x 1 k, int16), one q + one d of B
// (12 columns x 1 k, int16); row m's value is the lane operand of its 3 smlal, so A costs no
// broadcast. Accumulators: 8 rows x 12 columns = 24 q of int32. 24 + 1 (A) + 2 (B) = 27, which
// leaves room for the next k's loads. (The by-element form of 16-bit lanes can name only
// v0-v15 as its lane register: A sits there.) 8 x 12 is the largest tile that fits: 8 x 16
// needs 32 accumulators, 12 x 12 needs 36. Per k: 24 smlal = 96 MACs for 3 loads.
//
// Packing: both operands as int16 in K-groups of 1 (layout_k_groups<R, 1>): panel[k][r], so
// one k of a panel is one contiguous run (A: 16 bytes, B: 24 bytes).
#include <arm_neon.h>

#include <utility>

#include "arm/epilogue_neon.h"
#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 8, kNR = 12, kKR = 1;

// One k of row M: its multiplier is lane M of `av`. (A function per row rather than a pack
// expansion inside the intrinsics: clang's lane intrinsics are macros, which cannot expand a
// parameter pack.)
template <size_t M>
inline __attribute__((always_inline)) void step_row(int32x4_t (&acc)[3], int16x8_t av,
                                                     int16x8_t b01, int16x4_t b2) {
  acc[0] = vmlal_laneq_s16(acc[0], vget_low_s16(b01), av, M);
  acc[1] = vmlal_high_laneq_s16(acc[1], b01, av, M);
  acc[2] = vmlal_laneq_s16(acc[2], b2, av, M);
}

template <size_t... M>
inline __attribute__((always_inline)) void step(int32x4_t (*acc)[3], int16x8_t av,
                                                 int16x8_t b01, int16x4_t b2,
                                                 std::index_sequence<M...>) {
  (step_row<M>(acc[M], av, b01, b2), ...);
}

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
template <size_t R>
void tile_rows(const tile_args& t) {
  int32x4_t acc[R][3];
  for (size_t m = 0; m < R; ++m) acc[m][0] = acc[m][1] = acc[m][2] = vdupq_n_s32(0);
  const auto* a = static_cast<const int16_t*>(t.a);
  const auto* b = static_cast<const int16_t*>(t.b);
  for (size_t k = 0; k < t.k_groups; ++k) {
    const int16x8_t av = vld1q_s16(a);
    const int16x8_t b01 = vld1q_s16(b);
    const int16x4_t b2 = vld1_s16(b + 8);
    step(acc, av, b01, b2, std::make_index_sequence<R>{});
    a += kMR;
    b += kNR;
  }
  int32_t dot[R * kNR];
  for (size_t m = 0; m < R; ++m)
    for (size_t j = 0; j < 3; ++j) vst1q_s32(dot + m * kNR + 4 * j, acc[m][j]);
  finish_tile_neon<R, kNR>(dot, t);
}

void tile_8x12c1(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

}  // namespace

extern const gemm_kernel ukernel_8x12c1__neon = {
    "ukernel_8x12c1__neon", QGEMM_ISA_NEON,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/1008, /*kc=*/512,
    packed_elem::s16, packed_elem::s16,
    &pack_panels<kMR, packed_elem::s16, layout_k_groups<kMR, kKR>>,
    &pack_panels<kNR, packed_elem::s16, layout_k_groups<kNR, kKR>>,
    &tile_8x12c1,
};

}  // namespace qgemm::detail
