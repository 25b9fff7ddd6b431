// ukernel_8x12c8__i8mm: Armv8.6-A int8 matrix multiply (FEAT_I8MM: Neoverse V1/N2/V2, Graviton
// 3/4, Grace), `smmla v.4s, v.16b, v.16b`.
//
// What smmla computes. Its first source is a 2 x 8 block of A (two rows, 8 k each), its second
// a 2 x 8 block of B^T (two columns, 8 k each); it adds their 2 x 2 product, 32 MACs, to the
// destination's int32 lanes in the order (r0 c0, r0 c1, r1 c0, r1 c1).
//
// Operands. As in the dotprod kernel both are packed as s8 (x ^ 0x80 for a u8 operand, absorbed
// by the zero-point terms of core/kernel.h), so one instruction, smmla, serves every type pair
// (ummla and usmmla would only save the shift, which costs nothing in the K loop). Products
// summed by eights into int32 never saturate: exact modulo 2^32 for any K.
//
// Register map (32 q registers). Per K-group of 8: four q of A (rows 0-1, 2-3, 4-5, 6-7), six q
// of B (columns 0-1, ..., 10-11), each B register used by four smmla right after its load.
// Accumulators: (8 / 2) x (12 / 2) = 24 q. 24 + 4 (A) + 1-2 (B, streamed) = 29-30. 8 x 12 is
// the largest such tile (8 x 16 needs 32 accumulators, 12 x 12 needs 36).
// Per K-group: 24 smmla = 768 MACs for 10 loads.
//
// Packing: both operands in K-groups of 8 (layout_k_groups): A panel [k/8][8][8] s8, B panel
// [k/8][12][8] s8 — each q register of a K-group is exactly the 2 x 8 operand of smmla.
// After the K loop the 2 x 2 blocks become rows with zip1/zip2 on 64-bit lanes.
#include <arm_neon.h>

#include <utility>

#include "arm/epilogue_neon.h"
#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 8, kNR = 12, kKR = 8;

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding row
// pairs (an odd R computes its last pair with the panel's zero padding row, never stored).
template <size_t R>
void tile_rows(const tile_args& t) {
  constexpr size_t P = (R + 1) / 2;  // row pairs
  int32x4_t acc[P][6];
  for (size_t i = 0; i < P; ++i)
    for (size_t j = 0; j < 6; ++j) acc[i][j] = vdupq_n_s32(0);
  const auto* a = static_cast<const int8_t*>(t.a);
  const auto* b = static_cast<const int8_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    int8x16_t av[P];
    for (size_t i = 0; i < P; ++i) av[i] = vld1q_s8(a + 16 * i);
    for (size_t j = 0; j < 6; ++j) {
      const int8x16_t bv = vld1q_s8(b + 16 * j);
      for (size_t i = 0; i < P; ++i) acc[i][j] = vmmlaq_s32(acc[i][j], av[i], bv);
    }
    a += kMR * kKR;
    b += kNR * kKR;
  }
  // (r0 c0, r0 c1, r1 c0, r1 c1) blocks -> rows of 4 columns
  int32_t dot[2 * P * kNR];
  for (size_t i = 0; i < P; ++i)
    for (size_t j = 0; j < 6; j += 2) {
      const int64x2_t lo = vreinterpretq_s64_s32(acc[i][j]);
      const int64x2_t hi = vreinterpretq_s64_s32(acc[i][j + 1]);
      vst1q_s32(dot + (2 * i) * kNR + 2 * j, vreinterpretq_s32_s64(vzip1q_s64(lo, hi)));
      vst1q_s32(dot + (2 * i + 1) * kNR + 2 * j, vreinterpretq_s32_s64(vzip2q_s64(lo, hi)));
    }
  finish_tile_neon<R, kNR>(dot, t);
}

void tile_8x12c8(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

}  // namespace

extern const gemm_kernel ukernel_8x12c8__i8mm = {
    "ukernel_8x12c8__i8mm", QGEMM_ISA_I8MM,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/1008, /*kc=*/1024,
    packed_elem::s8, packed_elem::s8,
    &pack_panels<kMR, packed_elem::s8, layout_k_groups<kMR, kKR>>,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_8x12c8,
};

}  // namespace qgemm::detail
