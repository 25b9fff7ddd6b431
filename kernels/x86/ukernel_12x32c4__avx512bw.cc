// ukernel_12x32c4__avx512bw: the kernel of the AVX-512BW level (AVX-512 without VNNI),
// `vpmaddubsw zmm`, exact for every A and B, -128 included.
//
// Why not the textbook paths. vpmaddwd on int16-widened bytes is exact but moves twice the bytes
// and runs the slower mix (~170 GOPS here against ~217 for the loop below); vpmaddubsw on u8 x s8
// as given saturates (FBGEMM, MLAS and oneDNN are wrong there); vpmaddubsw(|a|, sign(a) b) is
// exact only when B never holds -128. The form below is exact always, so the level needs no
// second kernel: measured against the int16 vpmaddwd kernel it replaced (ukernel_14x32c2, one
// core, medians): sq1024 171 vs 165 GOPS, sq2048 183 vs 162, bert_ffn_up 183 vs 163,
// llama7b_qkv_m1 46 vs 17 (half the bytes of B), tiny64 68 vs 60.
//
// Register map (32 zmm): zmm0-23 hold the 12 x 32 int32 tile (row m: two accumulators, columns
// 0-15 and 16-31); two hold one K-group of the B panel (32 columns x 4 k, s8); one holds sixteen
// int16 ones; per row, one holds |a| (row m's 4 bytes broadcast to every dword) and one its sign
// bytes (0x00 / 0xFF, broadcast likewise); the rest take b ^ sign and the products. 12 rows is
// the most that leaves these 8: 14 rows (28 accumulators) would spill.
//
// The inner loop, per row m and B vector j (64 MACs):
//     u = b_j ^ sign_m                 vpxord           b, or ~b = -b - 1 where a < 0
//     p = vpmaddubsw(|a_m|, u)         u8 x s8, adjacent pairs summed to int16
//     acc[m][j] += vpmaddwd(p, ones)   vpmaddwd, vpaddd pairs of int16 summed to int32
// 4 vector instructions (2 multiplies) per 64 MACs, as for a vpmaddwd + vpaddd kernel on
// int16; per row and K-group 2 broadcast loads more. Measured on Zen 4 (one core, 24 independent
// chains, CPU time): this mix peaks at ~217 GOPS, the c2 mix at ~170, the plain
// vpmaddubsw + vpmaddwd + vpaddd at ~230. Applying the sign exactly instead, (b ^ sign) - sign,
// costs one vpsubb more per 64 MACs (~178 GOPS); deriving |a| and the sign in the loop
// (vpabsb + vpmovb2m per row) drops it to ~153. Hence the split of A at packing time, and ~b.
//
// Why it is exact. A is packed as s8 (a u8 A shifted by x ^ 0x80), so a is in [-128, 127] and
// |a| <= 128 fits the unsigned operand. u = b or ~b is in [-128, 127] for every b. Each product
// |a| * u lies in [128 * -128, 128 * 127] = [-16384, 16256], so each pair sum lies in
// [-32768, 32512]: vpmaddubsw never saturates. vpmaddwd by ones adds two int16 exactly and vpaddd
// wraps modulo 2^32 as the contract does. For a >= 0, |a| u = a b; for a < 0,
// |a| ~b = |a| (-b - 1) = a b - |a|. So the loop's sums miss, per row, the sum of |a| over its
// negative a in this K block, which depends on A alone: add_negative_abs adds it to each row
// after the loop (one vpand + vpsadbw pass over the A panel, ~1/16 of the loop's work; for
// R <= 8 rows it reads only those rows). Zero padding has |a| = 0 and sign 0.
//
// Packing. A panel: K-groups of 4 of s8_abs_sign elements: per K-group, row r's 8 bytes are
// |a| of its 4 k, then their 4 sign bytes ([k/4][12][2][4]). B panel: K-groups of 4, s8
// ([k/4][32][4]), so one K-group of B is exactly two zmm loads, and B takes half the bytes of
// int16-widened panels (what M = 1 decode, bound by reading B, gains most from).
#include <immintrin.h>

#include <cstring>
#include <numeric>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "pack/split_abs_sign.h"
#include "x86/abs_sign_avx2.h"
#include "x86/epilogue_avx512.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 12, kNR = 32, kKR = 4;

// Splits `words` 4-byte words of s8 (one row's 4 bytes of a K-group) at d into |x| and sign
// bytes in place (pack/split_abs_sign.h), 16 words per zmm.
void split_abs_sign_zmm(uint8_t* d, size_t words) {
  const __m512i first = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);  // words 0-7 of (lo, hi)
  const __m512i second = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  split_abs_sign_in_place<16>(d, words, [&](uint8_t* p, size_t i) {
    const __m512i x = _mm512_loadu_si512(p + 4 * i);
    const __m512i abs = _mm512_abs_epi8(x);  // -128 becomes 0x80 = 128 unsigned
    const __m512i sign = _mm512_movm_epi8(_mm512_movepi8_mask(x));
    const __m512i lo = _mm512_unpacklo_epi32(abs, sign);  // per 128-bit lane: words 0, 1
    const __m512i hi = _mm512_unpackhi_epi32(abs, sign);  // words 2, 3
    _mm512_storeu_si512(p + 8 * i, _mm512_permutex2var_epi64(lo, first, hi));
    _mm512_storeu_si512(p + 8 * i + 64, _mm512_permutex2var_epi64(lo, second, hi));
  });
}

// Packs A as s8 in K-groups of 4 with the generic packer (which converts, pads and sums), then
// splits each word.
void pack_a_abs_sign(const pack_args& p) {
  pack_panels<kMR, packed_elem::s8, layout_k_groups<kMR, kKR>>(p);
  split_abs_sign_zmm(static_cast<uint8_t*>(p.dst),
                     round_up(p.rows, kMR) * round_up(p.k, kKR) / kKR);
}

// One K-group for R rows: B's two vectors b0, b1 (32 columns x 4 k), per row m its |a| and sign
// words at a + m * a_stride (bytes 0-3 and 4-7), the loop below added to acc[m].
template <size_t R>
inline __attribute__((always_inline)) void abs_sign_k_group(__m512i (&acc)[R][2], const uint8_t* a,
                                                           size_t a_stride, __m512i b0,
                                                           __m512i b1, __m512i ones) {
#pragma GCC unroll 12
  for (size_t m = 0; m < R; ++m) {
    int32_t abs4, sign4;
    std::memcpy(&abs4, a + m * a_stride, sizeof abs4);
    std::memcpy(&sign4, a + m * a_stride + kKR, sizeof sign4);
    const __m512i abs = _mm512_set1_epi32(abs4);    // vpbroadcastd from memory
    const __m512i sign = _mm512_set1_epi32(sign4);  // vpxord's {1to16} operand, or a register
    const __m512i s0 = _mm512_xor_si512(b0, sign);
    const __m512i s1 = _mm512_xor_si512(b1, sign);
    const __m512i p0 = _mm512_maddubs_epi16(abs, s0);
    const __m512i p1 = _mm512_maddubs_epi16(abs, s1);
    acc[m][0] = _mm512_add_epi32(acc[m][0], _mm512_madd_epi16(p0, ones));
    acc[m][1] = _mm512_add_epi32(acc[m][1], _mm512_madd_epi16(p1, ones));
  }
}

// The K loop over the first R rows: 2 x R accumulators that live in registers for the whole loop
// (every index into `acc` is a constant after unrolling), stored once at the end into `out`
// (R x 32 int32).
template <size_t R>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, int32_t* out) {
  __m512i acc[R][2];
#pragma GCC unroll 12
  for (size_t m = 0; m < R; ++m) acc[m][0] = acc[m][1] = _mm512_setzero_si512();

  const __m512i ones = _mm512_set1_epi16(1);
  const auto* a = static_cast<const uint8_t*>(t.a);
  const auto* b = static_cast<const uint8_t*>(t.b);
  for (size_t g = 0; g < t.k_groups; ++g) {
    abs_sign_k_group(acc, a, 2 * kKR, _mm512_loadu_si512(b), _mm512_loadu_si512(b + 64), ones);
    a += kMR * 2 * kKR;
    b += kNR * kKR;
  }
#pragma GCC unroll 12
  for (size_t m = 0; m < R; ++m) {
    _mm512_store_si512(out + m * kNR, acc[m][0]);
    _mm512_store_si512(out + m * kNR + 16, acc[m][1]);
  }
}

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
// The correction of the K loop's sums: for each row, the sum of |a| over the negative a of this
// K block. Each row's K-group is one qword of the panel, |a| in its low dword and the sign bytes
// in its high one, so (q & q >> 32) keeps |a| of the negative bytes and vpsadbw sums them. The
// qwords run through the rows with period kMR, so a zmm of 8 qwords at chunk c holds rows
// (8c + lane) mod kMR: kChunks accumulators, one per chunk c mod kChunks, give each lane a fixed
// row.
constexpr size_t kChunks = kMR / std::gcd(kMR, size_t{8});  // lcm(kMR, 8) / 8

template <size_t R>
inline void add_to_rows(const int32_t* row_value, int32_t* dot) {
  for (size_t m = 0; m < R; ++m) {
    const __m512i add = _mm512_set1_epi32(row_value[m]);
    for (size_t h = 0; h < kNR; h += 16)
      _mm512_store_si512(dot + m * kNR + h,
                         _mm512_add_epi32(_mm512_load_si512(dot + m * kNR + h), add));
  }
}

template <size_t R>
inline void add_negative_abs(const tile_args& t, int32_t* dot) {
  const auto* a = static_cast<const uint8_t*>(t.a);
  const __m512i zero = _mm512_setzero_si512();
  if constexpr (R <= 8) {
    // Few rows (decode, edges): only their R qwords of each K-group, lane m = row m.
    __m512i acc = _mm512_setzero_si512();
    for (size_t g = 0; g < t.k_groups; ++g) {
      const __m512i v = _mm512_maskz_loadu_epi64(static_cast<__mmask8>((1u << R) - 1),
                                                 a + g * kMR * 2 * kKR);
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(_mm512_and_si512(v, _mm512_srli_epi64(v, 32)),
                                                  zero));
    }
    alignas(32) int32_t neg_abs_sum[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(neg_abs_sum),
                       _mm512_maskz_cvtepi64_epi32(0xFF, acc));
    add_to_rows<R>(neg_abs_sum, dot);
    return;
  }
  const size_t qwords = t.k_groups * kMR;
  __m512i acc[kChunks];
  for (size_t c = 0; c < kChunks; ++c) acc[c] = _mm512_setzero_si512();
  size_t q = 0;
  for (; q + 8 * kChunks <= qwords; q += 8 * kChunks) {
    for (size_t c = 0; c < kChunks; ++c) {
      const __m512i v = _mm512_loadu_si512(a + 8 * (q + 8 * c));
      const __m512i neg_abs = _mm512_and_si512(v, _mm512_srli_epi64(v, 32));
      acc[c] = _mm512_add_epi64(acc[c], _mm512_sad_epu8(neg_abs, zero));
    }
  }
  for (size_t c = 0; q < qwords; q += 8, ++c) {
    const ptrdiff_t left = static_cast<ptrdiff_t>(qwords - q);
    const __mmask8 mask = left >= 8 ? 0xFF : static_cast<__mmask8>((1u << left) - 1);
    const __m512i v = _mm512_maskz_loadu_epi64(mask, a + 8 * q);
    const __m512i neg_abs = _mm512_and_si512(v, _mm512_srli_epi64(v, 32));
    acc[c] = _mm512_add_epi64(acc[c], _mm512_sad_epu8(neg_abs, zero));
  }
  // Lane j (of 8 * kChunks) belongs to row j mod kMR: add the kChunks * 8 / kMR copies of the
  // rows. Sums stay below 128 * KC < 2^31, so int32 holds them. (Explicit intrinsics: GCC 12
  // vectorises a scalar loop over int64 lanes with vextracti64x2, which is AVX512DQ.)
  static_assert(kMR <= 16, "one zmm of int32 per row set");
  alignas(64) int32_t lane[8 * kChunks + 16] = {};
  for (size_t c = 0; c < kChunks; ++c)
    _mm256_store_si256(reinterpret_cast<__m256i*>(lane + 8 * c),
                       _mm512_maskz_cvtepi64_epi32(0xFF, acc[c]));
  __m512i rows = _mm512_setzero_si512();
  for (size_t i = 0; i < 8 * kChunks; i += kMR)
    rows = _mm512_add_epi32(rows, _mm512_maskz_loadu_epi32(lane_mask16(kMR), lane + i));
  alignas(64) int32_t neg_abs_sum[16];
  _mm512_store_si512(neg_abs_sum, rows);
  add_to_rows<R>(neg_abs_sum, dot);
}

template <size_t R>
void tile_rows(const tile_args& t) {
  alignas(64) int32_t dot[R * kNR];
  dot_rows<R>(t, dot);
  add_negative_abs<R>(t, dot);
  finish_tile16<R, kNR>(dot, t);
}

void tile_12x32c4(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

// Small M (decode), as in ukernel_6x16c4__avx2: rows of A packed contiguously (a panel of one
// row in K-groups is just the row) and split into |a| and sign words like the panels, B read
// panel after panel, one sequential stream from its first byte to its last; per K-group and
// row, the tiles' K-group step (abs_sign_k_group) on 128 bytes of B. Each accumulator starts at
// its row's correction (the sum of |a| over its negative a, row_negative_abs_sum), and the int32
// sums run over all of K (wrapping modulo 2^32, as the contract wants), so no K blocking is
// needed. Through the tiles instead, M = 1 read a whole 12-row A panel with each K-group of B
// and ran at half the AVX2 kernel's small-M path. Dev harness (one thread, min CPU time,
// QGEMM_ISA=avx512bw), 2 alternating runs on Zen 5, tiles -> this path: llama7b_qkv_m1 98-106
// -> 193-220 GOPS, llama7b_up_m1 55-58 -> 87-92, M = 4 on 4096 x 4096 331 -> 430-448.
constexpr size_t kGemvMaxM = 4;

template <size_t R>
void gemv_rows(const gemv_args& g) {
  pack_args pa = g.a;
  pack_panels<1, packed_elem::s8, layout_k_groups<1, kKR>>(pa);
  auto* a_rows = static_cast<uint8_t*>(pa.dst);
  const size_t groups = g.kp / kKR;
  split_abs_sign_zmm(a_rows, R * groups);  // R * kp bytes -> R * 2 kp
  int32_t neg_abs[R];
  for (size_t r = 0; r < R; ++r) neg_abs[r] = row_negative_abs_sum(a_rows + r * 2 * g.kp, groups);

  const auto* panels = static_cast<const uint8_t*>(g.b_panels);
  const output_consts16 consts = load_output_consts16(*g.ep);
  const __m512i ones = _mm512_set1_epi16(1);
  for (size_t col = 0; col < g.n; col += kNR) {
    const uint8_t* b = panels + col * g.kp;  // panel col / NR holds kp * NR bytes
    __m512i acc[R][2];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_set1_epi32(neg_abs[r]);
    for (size_t q = 0; q < groups; ++q, b += kNR * kKR)
      abs_sign_k_group(acc, a_rows + 8 * q, 2 * g.kp, _mm512_loadu_si512(b),
                       _mm512_loadu_si512(b + 64), ones);
    gemv_epilogue32(acc, pa.sums, col, consts, g);
  }
}

void gemv_12x32c4(const gemv_args& g) {
  with_rows<kGemvMaxM>(g.m, [&](auto rows) { gemv_rows<decltype(rows)::value>(g); });
}

}  // namespace

extern const gemm_kernel ukernel_12x32c4__avx512bw = {
    "ukernel_12x32c4__avx512bw", QGEMM_ISA_AVX512BW,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, /*kc=*/1024,
    packed_elem::s8_abs_sign, packed_elem::s8,
    &pack_a_abs_sign,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_12x32c4,
    &gemv_12x32c4,
    kGemvMaxM,
};

}  // namespace qgemm::detail
