// ukernel_12x32c4__avx512bw: the narrow-B variant of the AVX-512BW level, `vpmaddubsw zmm` on
// bytes, exact when op(B) read as int8 never holds -128 (symmetric weights in [-127, 127]).
// ukernel_14x32c2__avx512bw names it as its narrow_b_variant; packing B picks it when B qualifies.
//
// Register map (32 zmm): zmm0-23 hold the 12 x 32 int32 tile (row m: two accumulators, columns
// 0-15 and 16-31); zmm24-25 hold one K-group of the B panel (32 columns x 4 k, s8); zmm26 holds
// sixteen int16 ones; per row, zmm27 holds |a| (row m's 4 bytes broadcast to every dword) and
// zmm28 its sign bytes (0x00 / 0xFF, broadcast likewise); zmm29-31 take sign(a) * b and the
// products. 12 rows is the most that leaves these 8: 14 rows (28 accumulators) spill.
//
// The inner loop, per row m and B vector j (64 MACs):
//     s = (b_j ^ sign_m) - sign_m      vpxorq, vpsubb          sign(a) * b, byte by byte
//     p = vpmaddubsw(|a_m|, s)         u8 x s8, adjacent pairs summed to int16
//     acc[m][j] += vpmaddwd(p, ones)   vpmaddwd, vpaddd        pairs of int16 summed to int32
// that is 5 vector instructions (2 of them multiplies) per 64 MACs, against 4 (2 multiplies)
// for the c2 kernel's vpmaddwd + vpaddd on int16. Per row and K-group, 2 broadcast loads more.
// Measured on Zen 4 (one core, 24 independent chains): this mix peaks at 178 GOPS, the c2 mix
// at 170; without the sign step it would be 230, and deriving |a| and the sign in the loop
// (vpabsb + vpmovb2m per row) drops it to 153. Hence the split of A at packing time. What this
// kernel mostly buys is half the bytes of B: the c2 kernel streams int16 weights.
//
// Why it is exact. A is packed as s8 (a u8 A shifted by x ^ 0x80), so a is in [-128, 127] and
// |a| <= 128 fits the unsigned operand of vpmaddubsw. B is s8 with b != -128, so sign(a) * b is
// in [-127, 127] (for b = -128 the negation would wrap: that is why B must be narrow). Each
// product |a| * sign(a) b = a * b is at most 128 * 127 = 16256 in magnitude, so each pair sum is
// at most 32512 < 32767: vpmaddubsw never saturates. vpmaddwd by ones adds two such int16
// exactly, and vpaddd wraps modulo 2^32 as the contract does. Zero A padding has |a| = 0.
//
// Packing. A panel: K-groups of 4 of s8_abs_sign elements: per K-group, row r's 8 bytes are
// |a| of its 4 k, then their 4 sign bytes ([k/4][12][2][4]). B panel: K-groups of 4, s8
// ([k/4][32][4]), so one K-group of B is exactly two zmm loads.
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx512.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 12, kNR = 32, kKR = 4;

// Packs A as s8 in K-groups of 4 with the generic packer (which converts, pads and sums), then
// splits each row's 4 bytes x of a K-group into |x| and sign bytes in place. The split doubles
// every 4-byte word i to bytes [8i, 8i + 8); walking i downwards never overwrites a word not yet
// read, since 8i >= 4i + 4 for i >= 1.
void pack_a_abs_sign(const pack_args& p) {
  pack_panels<kMR, packed_elem::s8, layout_k_groups<kMR, kKR>>(p);
  auto* d = static_cast<uint8_t*>(p.dst);
  const size_t words = round_up(p.rows, kMR) * round_up(p.k, kKR) / kKR;
  for (size_t i = words; i-- > 0;) {
    uint32_t x;
    std::memcpy(&x, d + 4 * i, 4);
    const uint32_t neg = (x >> 7) & 0x01010101u;  // 1 in each negative byte
    const uint32_t sign = neg * 0xFFu;             // 0xFF in each negative byte
    const uint32_t abs = (x ^ sign) + neg;         // per byte; no carry (a byte is <= 0x80)
    std::memcpy(d + 8 * i, &abs, 4);
    std::memcpy(d + 8 * i + 4, &sign, 4);
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
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
#pragma GCC unroll 12
    for (size_t m = 0; m < R; ++m) {
      int32_t abs4, sign4;
      std::memcpy(&abs4, a + m * 2 * kKR, sizeof abs4);
      std::memcpy(&sign4, a + m * 2 * kKR + kKR, sizeof sign4);
      const __m512i abs = _mm512_set1_epi32(abs4);    // vpbroadcastd from memory
      const __m512i sign = _mm512_set1_epi32(sign4);
      const __m512i s0 = _mm512_sub_epi8(_mm512_xor_si512(b0, sign), sign);
      const __m512i s1 = _mm512_sub_epi8(_mm512_xor_si512(b1, sign), sign);
      const __m512i p0 = _mm512_maddubs_epi16(abs, s0);
      const __m512i p1 = _mm512_maddubs_epi16(abs, s1);
      acc[m][0] = _mm512_add_epi32(acc[m][0], _mm512_madd_epi16(p0, ones));
      acc[m][1] = _mm512_add_epi32(acc[m][1], _mm512_madd_epi16(p1, ones));
    }
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
template <size_t R>
void tile_rows(const tile_args& t) {
  alignas(64) int32_t dot[R * kNR];
  dot_rows<R>(t, dot);
  finish_tile16<R, kNR>(dot, t);
}

template <size_t... R>
void tile_dispatch(const tile_args& t, std::index_sequence<R...>) {
  using fn = void (*)(const tile_args&);
  static constexpr fn by_rows[] = {&tile_rows<R + 1>...};
  by_rows[t.m - 1](t);
}

void tile_12x32c4(const tile_args& t) { tile_dispatch(t, std::make_index_sequence<kMR>{}); }

}  // namespace

extern const gemm_kernel ukernel_12x32c4__avx512bw = {
    "ukernel_12x32c4__avx512bw", QGEMM_ISA_AVX512BW,
    kMR, kNR, kKR,
    /*mc=*/96, /*nc=*/512, /*kc=*/1024,
    packed_elem::s8_abs_sign, packed_elem::s8,
    &pack_a_abs_sign,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_12x32c4,
};

}  // namespace qgemm::detail
