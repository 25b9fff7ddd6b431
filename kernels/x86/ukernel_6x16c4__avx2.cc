// ukernel_6x16c4__avx2: the byte path of the AVX2 level, `vpmaddubsw ymm` on int8 B panels, in
// the formulation of ukernel_12x32c4__avx512bw: exact for every A and B, -128 included.
//
// The inner loop, per row m and B vector j (32 MACs):
//     u = b_j ^ sign_m                 vpxor            b, or ~b = -b - 1 where a < 0
//     p = vpmaddubsw(|a_m|, u)         u8 x s8, adjacent pairs summed to int16
//     acc[m][j] += vpmaddwd(p, ones)   vpmaddwd, vpaddd pairs of int16 summed to int32
// 4 vector instructions (2 multiplies) per 32 MACs, as many as the int16 vpmaddwd kernel
// (vpmaddwd + vpaddd on 16 MACs, twice; ukernel_6x16c2__avx2, the tests' baseline,
// docs/kernels.md): this one gains by bytes, not instructions. Measured on Zen 4 (one core,
// CPU time, 12 independent chains, bench/peak_avx2.cc's method): this mix peaks at ~195 GOPS,
// vpmaddwd + vpaddd at ~165, vpmaddubsw + vpmaddwd + vpaddd (not exact) at ~230.
//
// Why it is exact. A is packed as s8 (a u8 A shifted by x ^ 0x80), so a is in [-128, 127] and
// |a| <= 128 fits the unsigned operand; u = b or ~b is in [-128, 127] for every b. Each product
// lies in [128 * -128, 128 * 127], so each int16 pair sum lies in [-32768, 32512]: vpmaddubsw
// never saturates. vpmaddwd by ones adds two int16 exactly and vpaddd wraps modulo 2^32 as the
// contract does. For a >= 0, |a| u = a b; for a < 0, |a| ~b = |a| (-b - 1) = a b - |a|. So the
// loop's sums miss, per row, the sum of |a| over its negative a in the K block: it depends on A
// alone, so the A packer computes it once per panel and K block (pack_args::neg_abs_sums, one
// vpand + vpsadbw pass over the packed panel), and the tile starts its accumulators from it.
// Computing it in every tile instead, as ukernel_12x32c4__avx512bw does, cost ~15% here (the
// pass is 1.5 ymm per K-group of 6 rows against the loop's 48 ops, redone for every column
// tile); in the loop itself (vpand + vpsadbw + vpaddq per row and K-group) it costs more.
//
// Register map (16 ymm): ymm0-11 hold the 6 x 16 int32 tile (row m: two accumulators, columns
// 0-7 and 8-15); one holds the int16 ones; per row, one holds |a| (its 4 bytes broadcast to
// every dword) and one its sign bytes (0x00 / 0xFF, broadcast likewise); one takes u, p and the
// int32 sums. That is all 16, so B is not kept in registers: vpxor reads each B vector from
// memory (L1), once per row. GCC, given the intrinsics, holds B in two registers and spills two
// accumulators instead (a load and a store per K-group), so the 4 instructions are one asm
// statement with B as a memory operand. 4 x 16 (B in registers, no asm) fits too but measured
// ~8% slower: 2 B loads and 8 broadcasts per 32 ops instead of 12 + 12 per 48.
//
// Packing. A panel: K-groups of 4 of s8_abs_sign elements: per K-group, row r's 8 bytes are |a|
// of its 4 k, then their 4 sign bytes ([k/4][6][2][4]); packed as s8 by x86/pack_avx2.h, then
// split in place (pack/split_abs_sign.h). B panel: K-groups of 4, s8 ([k/4][16][4]): one
// K-group is two ymm, and B takes half the bytes of the vpmaddwd kernel's int16 panels, which
// is what M = 1 decode, bound by streaming B, gains most from.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "pack/split_abs_sign.h"
#include "x86/abs_sign_avx2.h"
#include "x86/epilogue_avx2.h"
#include "x86/pack_avx2.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 6, kNR = 16, kKR = 4;
constexpr size_t kMC = 96, kNC = 512, kKC = 1024;
constexpr size_t kNV = kNR / 8;  // ymm vectors per row

// For one panel and K block of `k_groups` K-groups at `a`: per row, the sum of |a| over its
// negative a. Each row's K-group is one qword, |a| in its low dword and the sign bytes in its
// high one, so (q & q >> 32) keeps |a| of the negative bytes and vpsadbw sums them. The qwords
// run through the rows with period kMR, so a ymm of 4 qwords at chunk c holds rows
// (4c + lane) mod kMR: kChunks accumulators, one per chunk c mod kChunks, give each lane a fixed
// row.
constexpr size_t kChunks = kMR / std::gcd(kMR, size_t{4});  // lcm(kMR, 4) / 4

void negative_abs_sums(const uint8_t* a, size_t k_groups, int32_t* out) {
  const __m256i zero = _mm256_setzero_si256();
  const size_t qwords = k_groups * kMR;
  __m256i acc[kChunks];
  for (size_t c = 0; c < kChunks; ++c) acc[c] = zero;
  size_t q = 0;
  for (; q + 4 * kChunks <= qwords; q += 4 * kChunks) {
#pragma GCC unroll 8
    for (size_t c = 0; c < kChunks; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 8 * (q + 4 * c)));
      acc[c] = _mm256_add_epi64(
          acc[c], _mm256_sad_epu8(_mm256_and_si256(v, _mm256_srli_epi64(v, 32)), zero));
    }
  }
  for (size_t c = 0; q < qwords; q += 4, ++c) {  // the last 1 .. 4 * kChunks - 1 qwords
    const auto left = static_cast<long long>(qwords - q);
    const __m256i mask =
        _mm256_cmpgt_epi64(_mm256_set1_epi64x(left), _mm256_setr_epi64x(0, 1, 2, 3));
    const __m256i v = _mm256_maskload_epi64(reinterpret_cast<const long long*>(a + 8 * q), mask);
    acc[c] = _mm256_add_epi64(
        acc[c], _mm256_sad_epu8(_mm256_and_si256(v, _mm256_srli_epi64(v, 32)), zero));
  }
  alignas(32) int64_t lane[4 * kChunks];
  for (size_t c = 0; c < kChunks; ++c)
    _mm256_store_si256(reinterpret_cast<__m256i*>(lane + 4 * c), acc[c]);
  for (size_t m = 0; m < kMR; ++m) out[m] = 0;
  for (size_t j = 0; j < 4 * kChunks; ++j)  // each sum < 128 * KC: int32 holds it
    out[j % kMR] += static_cast<int32_t>(lane[j]);
}

// Packs A as s8 in K-groups of 4 (x86/pack_avx2.h: converts, pads and sums), splits each row's
// 4 bytes x of a K-group into |x| and sign bytes in place, 8 words per ymm, then computes the
// correction of every panel and K block.
void pack_a_abs_sign(const pack_args& p) {
  pack_a_avx2<kMR>(p);
  auto* d = static_cast<uint8_t*>(p.dst);
  const size_t panels = (p.rows + kMR - 1) / kMR, groups = round_up(p.k, kKR) / kKR;
  split_abs_sign_in_place<8>(d, panels * kMR * groups, [](uint8_t* w, size_t i) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 4 * i));
    const __m256i abs = _mm256_abs_epi8(x);  // -128 becomes 0x80 = 128 unsigned
    const __m256i sign = _mm256_cmpgt_epi8(_mm256_setzero_si256(), x);
    const __m256i lo = _mm256_unpacklo_epi32(abs, sign);  // words 0, 1 | 4, 5
    const __m256i hi = _mm256_unpackhi_epi32(abs, sign);  // words 2, 3 | 6, 7
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + 8 * i),
                        _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + 8 * i + 32),
                        _mm256_permute2x128_si256(lo, hi, 0x31));
  });
  // the driver's order: panel, then K block (at least one, K = 0 included), then row
  int32_t* out = p.neg_abs_sums;
  for (size_t panel = 0; panel < panels; ++panel)
    for (size_t g0 = 0; g0 == 0 || g0 < groups; g0 += kKC / kKR, out += kMR)
      negative_abs_sums(d + (panel * groups + g0) * kMR * 2 * kKR,
                        std::min(kKC / kKR, groups - g0), out);
}

// The K loop for the first R rows of the tile: 2 x R accumulators that live in registers for
// the whole loop (every index into `acc` is a constant after unrolling), stored once at the end
// into `out` (R x 16 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  __m256i acc[R][kNV];
#pragma GCC unroll 8
  for (size_t m = 0; m < R; ++m)
#pragma GCC unroll 4
    for (size_t v = 0; v < kNV; ++v) acc[m][v] = _mm256_set1_epi32(t.neg_abs_sums[m]);

  const __m256i ones = _mm256_set1_epi16(1);
  const auto* a = static_cast<const uint8_t*>(t.a);
  const auto* b = static_cast<const uint8_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
#pragma GCC unroll 8
    for (size_t m = 0; m < R; ++m) {
      int32_t abs4, sign4;
      std::memcpy(&abs4, a + m * 2 * kKR, sizeof abs4);
      std::memcpy(&sign4, a + m * 2 * kKR + kKR, sizeof sign4);
      const __m256i abs = _mm256_set1_epi32(abs4);    // vpbroadcastd from memory
      const __m256i sign = _mm256_set1_epi32(sign4);
#pragma GCC unroll 4
      for (size_t v = 0; v < kNV; ++v) {
        __m256i tmp;  // u, then p, then the int32 pair sums; B read from memory (see above)
        asm("vpxor %[b], %[sign], %[t]\n\t"
            "vpmaddubsw %[t], %[abs], %[t]\n\t"
            "vpmaddwd %[ones], %[t], %[t]\n\t"
            "vpaddd %[t], %[acc], %[acc]"
            : [acc] "+x"(acc[m][v]), [t] "=&x"(tmp)
            : [b] "m"(*reinterpret_cast<const __m256i*>(b + v * 32)), [sign] "x"(sign),
              [abs] "x"(abs), [ones] "x"(ones));
      }
    }
    a += kMR * 2 * kKR;
    b += kNR * kKR;
  }
  store_rows_avx2(acc, out);
}

void tile_kernel(const tile_args& t) {
  tile_avx2<kMR, kNR>(t, [&](auto rows, int32_t* out) { dot_rows<decltype(rows)::value>(t, out); });
}

// Small M (decode). Rows of A are packed contiguously (a panel of one row in K-groups is just
// the row, then split into |a| and sign words like the panels), and B is read panel after
// panel: one sequential stream from its first byte to its last. Through the tiles, M = 1 read
// the whole 6-row A panel with B (48 bytes of A per 64 of B and K-group, padding rows included)
// and ran ~0.8x of the previous narrow-B kernel, whose A panels were half as wide; here a row
// reads 8 bytes per K-group. The int32 sums run over all of K (vpaddd wraps modulo 2^32, as the
// contract wants; so does adding the correction), so no K blocking is needed.
constexpr size_t kGemvMaxM = 4;

template <size_t R>
void gemv_rows(const gemv_args& g) {
  pack_args pa = g.a;
  pack_a_avx2<1>(pa);
  auto* a_rows = static_cast<uint8_t*>(pa.dst);
  const size_t groups = g.kp / kKR;
  for (size_t i = R * groups; i > 0; --i) split_abs_sign_word(a_rows, i - 1);  // R * kp bytes
  int32_t neg_abs[R];
  for (size_t r = 0; r < R; ++r) neg_abs[r] = row_negative_abs_sum(a_rows + r * 2 * g.kp, groups);

  const auto* panels = static_cast<const uint8_t*>(g.b_panels);
  const __m256i ones = _mm256_set1_epi16(1);
  for (size_t col = 0; col < g.n; col += kNR) {
    const uint8_t* b = panels + col * g.kp;  // panel col / NR holds kp * NR bytes
    __m256i acc[R][kNV];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (size_t v = 0; v < kNV; ++v) acc[r][v] = _mm256_set1_epi32(neg_abs[r]);
    for (size_t k = 0; k < groups; ++k, b += kNR * kKR) {
      __m256i bv[kNV];
#pragma GCC unroll 2
      for (size_t v = 0; v < kNV; ++v)
        bv[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + v * 32));
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) {
        int32_t abs4, sign4;
        std::memcpy(&abs4, a_rows + r * 2 * g.kp + 8 * k, sizeof abs4);
        std::memcpy(&sign4, a_rows + r * 2 * g.kp + 8 * k + kKR, sizeof sign4);
        const __m256i abs = _mm256_set1_epi32(abs4);
        const __m256i sign = _mm256_set1_epi32(sign4);
#pragma GCC unroll 2
        for (size_t v = 0; v < kNV; ++v) {
          const __m256i p = _mm256_maddubs_epi16(abs, _mm256_xor_si256(bv[v], sign));
          acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(p, ones));
        }
      }
    }
    gemv_epilogue_avx2(acc, pa.sums, col, g);
  }
}

void gemv_kernel(const gemv_args& g) {
  with_rows<kGemvMaxM>(g.m, [&](auto rows) { gemv_rows<decltype(rows)::value>(g); });
}

}  // namespace

extern const gemm_kernel ukernel_6x16c4__avx2 = {
    "ukernel_6x16c4__avx2", QGEMM_ISA_AVX2,
    kMR, kNR, kKR,
    kMC, kNC, kKC,
    packed_elem::s8_abs_sign, packed_elem::s8,
    &pack_a_abs_sign,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_kernel,
    &gemv_kernel,
    kGemvMaxM,
};

}  // namespace qgemm::detail
