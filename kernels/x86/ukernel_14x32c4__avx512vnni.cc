// ukernel_14x32c4__avx512vnni: the main x86 path, `vpdpbusd zmm` (AVX512-VNNI).
//
// Register map (32 zmm): zmm0-27 hold the 14 x 32 int32 tile (row m: two accumulators, columns
// 0-15 and 16-31); two hold one K-group of the B panel (32 columns x 4 k, s8); one takes row m's
// 4 bytes of A broadcast (GCC 12 emits vpbroadcastd rather than vpdpbusd's embedded {1to16}
// operand; an inline-asm embedded broadcast measured no faster on Zen 4). Per K-group: 2 loads
// of B, 14 broadcast loads of A, 28 vpdpbusd = 1792 MACs. 14 rows is the most that fits.
//
// Operand roles. vpdpbusd multiplies unsigned bytes (its first source) by signed bytes (its
// second). A, the broadcast, is the unsigned one, packed as u8, and B is packed as s8: that is
// the usual pair (u8 activations, s8 weights) with no shift at all, so a row-major u8 A with K
// a multiple of 4 is read where the caller left it (gemm_kernel::sum_a_rows, for narrow
// products), and an s8 B of zero point 0 (symmetric weights) makes -zB' = 0, so not even A's
// row sums are needed. An s8 A or a u8 B is shifted by x ^ 0x80 while packing, and the
// zero-point terms absorb the shift (core/kernel.h). u8 x s8 products summed by fours never
// saturate (vpdpbusd, unlike vpdpbusds and vpmaddubsw, does not saturate), so the tile is
// exact modulo 2^32. (Until A was read in place, the roles were the other way round, A s8 and
// B u8; the loop is the same either way, as the broadcast is a separate vpbroadcastd.)
//
// Packing: both operands in K-groups of 4 (layout_k_groups): A panel [k/4][14][4] u8, B panel
// [k/4][32][4] s8, so one K-group of B is exactly two zmm loads.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/kernel.h"
#include "pack/pack_panels.h"
#include "x86/epilogue_avx512.h"

namespace qgemm::detail {
namespace {

constexpr size_t kMR = 14, kNR = 32, kKR = 4;

// Packing A (every call, so it must be fast). A row-major A (k contiguous) becomes, per panel of
// 14 rows, [k / 4][14][4] bytes: a transpose of the 14 x (K / 4) matrix of 32-bit words. Take
// 16 words (64 bytes) of each of the 14 rows, shifted to u8 and zero beyond K, transpose the
// 16 x 16 word block in registers (rows 14 and 15 are zero), and store 14 words per K-group.
// About 100 instructions per 896 bytes, against one load, xor and store per 4 bytes in the
// generic packer. A transposed A (k-major) goes through the generic packer.
inline void transpose16x16_epi32(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 16; i += 8) {
    for (int j = 0; j < 4; ++j) {
      t[i + j] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0x88);
      t[i + j + 4] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0xdd);
    }
  }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xdd);
  }
}

// What both A packers do per 64 bytes of a k-contiguous row of A, from the same loads.
// The bytes [0, n) of a chunk (n clipped to 0..64).
inline __mmask64 first_bytes(size_t n) {
  return n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}

// Bytes k0 .. k0 + 63 of a row of A of depth k as packed u8 (x ^ flip), zero past k. Whole
// chunks take plain loads: masked byte loads and stores cost Zen 4 half again as much (the
// rows packer alone: 37 -> 56 GB/s from L1 with plain ones).
inline __m512i load_a_chunk(const uint8_t* row, size_t k0, size_t k, __m512i flip) {
  if (k0 + 64 <= k) return _mm512_xor_si512(_mm512_loadu_si512(row + k0), flip);
  const __mmask64 m = first_bytes(k > k0 ? k - k0 : 0);
  return _mm512_maskz_mov_epi8(m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, row + k0), flip));
}

// The row sum of packed u8 chunks: vpsadbw against zero sums each 8 bytes into a 64-bit lane
// (zero padding adds nothing), exactly; the total is then taken modulo 2^32.
struct u8_row_sum {
  __m512i sum64 = _mm512_setzero_si512();
  void add(__m512i v) {
    sum64 = _mm512_add_epi64(sum64, _mm512_sad_epu8(v, _mm512_setzero_si512()));
  }
  int32_t total() const {
    return static_cast<int32_t>(
        static_cast<uint32_t>(static_cast<uint64_t>(_mm512_reduce_add_epi64(sum64))));
  }
};

inline __m512i a_flip(qgemm_type type) {  // A is packed as u8
  return _mm512_set1_epi8(static_cast<char>(type == QGEMM_S8 ? 0x80 : 0x00));
}

// The panel packer reads 14 rows at once, 64 bytes of each per step: more streams than the
// hardware prefetcher follows well when A comes from memory (sq2048's 4 MiB A: packing was 3.8%
// of the GEMM in the benchmark, 5.6 GB/s). Each row's bytes this far ahead are asked for in
// software (Zen 5, same-run ratio to oneDNN's matmul, 3 alternating runs: 2048^3 0.940-0.956 ->
// 0.969-0.997, 1024 x 2048 x 1024 0.946-0.981 -> 0.979-0.996; no change where A is in place).
constexpr size_t kPackPrefetchBytes = 256;

void pack_a_14x32c4(const pack_args& p) {
  if (!p.k_contiguous) return pack_panels<kMR, packed_elem::u8, layout_k_groups<kMR, kKR>>(p);
  const __m512i flip = a_flip(p.type);
  const size_t kp = round_up(p.k, kKR);
  const auto* src = static_cast<const uint8_t*>(p.src);
  auto* dst = static_cast<uint8_t*>(p.dst);
  for (size_t base = 0; base < p.rows; base += kMR) {
    const size_t rn = std::min(kMR, p.rows - base);
    uint8_t* panel = dst + (base / kMR) * kp * kMR;
    const uint8_t* rows[16];  // 16, like the transpose block: rows >= rn are never read
    u8_row_sum sums[16];
    for (size_t r = 0; r < rn; ++r)
      rows[r] = p.k > 0 ? src + (p.r0 + base + r) * p.ld : nullptr;  // K = 0: A may be NULL
    for (size_t k0 = 0; k0 < kp; k0 += 64) {
      __m512i v[16];
      for (size_t r = 0; r < rn; ++r)  // a prefetch never faults: past the end is harmless
        _mm_prefetch(reinterpret_cast<const char*>(rows[r]) + k0 + kPackPrefetchBytes,
                     _MM_HINT_T0);
      for (size_t r = 0; r < 16; ++r) {
        v[r] = r < rn ? load_a_chunk(rows[r], k0, p.k, flip) : _mm512_setzero_si512();
        if (r < rn) sums[r].add(v[r]);
      }
      transpose16x16_epi32(v);
      const size_t groups = std::min<size_t>(16, (kp - k0) / kKR);
      for (size_t g = 0; g < groups; ++g)
        _mm512_mask_storeu_epi32(panel + (k0 + g * kKR) * kMR, 0x3FFF, v[g]);
    }
    for (size_t r = 0; r < rn; ++r) p.sums[base + r] = sums[r].total();
  }
}

// B is prefetched this many bytes (32 K-groups) ahead. When B streams from L3 rather than
// sitting in L2 (few rows of A per B panel: llama7b_qkv_m16 reads each B byte for 16 rows only),
// the hardware prefetcher alone left the loop waiting: 16 x 4096 x 4096 went from about 340 to
// 390 GOPS (2048 and 8192 bytes ahead measured in between). Two prefetches per 28 vpdpbusd cost
// nothing measurable where B is already cached (sq256, bert_attn_out, resnet_conv3x3_56).
constexpr size_t kPrefetchBytes = 4096;

// How many K-groups (28 cycles each) before the end of the K loop the tile asks for C (dot_rows).
constexpr size_t kCTailGroups = 32;

// A as rows of kp bytes (gemm_kernel::pack_a_rows), for narrow products: per 64 bytes of a row
// one masked load, xor, store and vpsadbw (the row sum, as in the panel packer), no transposes.
// Each row is what a panel of one row in K-groups would be: the row, shifted to u8 and
// zero-padded to kp. A transposed A (k-major) goes through the generic packer.
void pack_a_rows_14x32c4(const pack_args& p) {
  if (!p.k_contiguous) return pack_panels<1, packed_elem::u8, layout_k_groups<1, kKR>>(p);
  const __m512i flip = a_flip(p.type);
  const size_t kp = round_up(p.k, kKR);
  const auto* src = static_cast<const uint8_t*>(p.src);
  auto* dst = static_cast<uint8_t*>(p.dst);
  for (size_t r = 0; r < p.rows; ++r) {
    const uint8_t* row = p.k > 0 ? src + (p.r0 + r) * p.ld : nullptr;  // K = 0: A may be NULL
    uint8_t* out = dst + r * kp;
    u8_row_sum sum;
    for (size_t k0 = 0; k0 < kp; k0 += 64) {
      const __m512i v = load_a_chunk(row, k0, p.k, flip);
      if (k0 + 64 <= kp)
        _mm512_storeu_si512(out + k0, v);
      else
        _mm512_mask_storeu_epi8(out + k0, first_bytes(kp - k0), v);
      sum.add(v);
    }
    p.sums[r] = sum.total();
  }
}

// The row sums alone of a row-major u8 A that the tiles read where it is (gemm_kernel::
// sum_a_rows): one pass of loads and vpsadbw, nothing stored.
void sum_a_rows_14x32c4(const pack_args& p) {
  const __m512i none = _mm512_setzero_si512();
  const auto* src = static_cast<const uint8_t*>(p.src);
  for (size_t r = 0; r < p.rows; ++r) {
    const uint8_t* row = src + (p.r0 + r) * p.ld;
    u8_row_sum sum;
    for (size_t k0 = 0; k0 < p.k; k0 += 64) sum.add(load_a_chunk(row, k0, p.k, none));
    p.sums[r] = sum.total();
  }
}

// The K loop: 2 x R accumulators that live in registers for the whole loop (every index into
// `acc` is a constant after unrolling), stored once at the end into `out` (R x 32 int32).
// Rows = false: A in 14-row panels, row m's K-group at a + 4m. Rows = true: A in rows t.lda
// apart, row m's K-group at base[m / 3] + (m % 3) * lda: five row pointers (rows 0, 3, 6, 9,
// 12) and x86's base + index * {1, 2} addressing reach all 14 rows with no register spent per
// row (fourteen pointers would not fit the 16 general-purpose registers).
template <size_t R, bool Rows>
inline __attribute__((always_inline)) void dot_rows(const tile_args& t, __m512i (&acc)[R][2]) {
#pragma GCC unroll 14
  for (size_t m = 0; m < R; ++m) acc[m][0] = acc[m][1] = _mm512_setzero_si512();

  const auto* a = static_cast<const uint8_t*>(t.a);
  const size_t lda = t.lda;
  const uint8_t* base[5];
#pragma GCC unroll 5
  for (size_t i = 0; i < 5; ++i) base[i] = 3 * i < R ? a + 3 * i * lda : a;  // rows < R only
  const auto* b = static_cast<const uint8_t*>(t.b);
  auto k_group = [&]() __attribute__((always_inline)) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = _mm512_loadu_si512(b + 64);
    // A prefetch never faults, so running past the end of B is harmless.
    _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchBytes, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchBytes + 64, _MM_HINT_T0);
#pragma GCC unroll 14
    for (size_t m = 0; m < R; ++m) {
      int32_t a4;
      std::memcpy(&a4, Rows ? base[m / 3] + (m % 3) * lda : a + m * kKR, sizeof a4);
      const __m512i am = _mm512_set1_epi32(a4);
      acc[m][0] = _mm512_dpbusd_epi32(acc[m][0], am, b0);
      acc[m][1] = _mm512_dpbusd_epi32(acc[m][1], am, b1);
    }
    if constexpr (Rows) {
#pragma GCC unroll 5
      for (size_t i = 0; i < 5; ++i) base[i] += kKR;
    } else {
      a += kMR * kKR;
    }
    b += kNR * kKR;
  };
  // C's lines are asked for kCTailGroups K-groups before the end, not before the loop: a tile's
  // A and B (46 KiB on sq1024) pass through the 32 KiB L1 during the loop and evict lines
  // asked for at its start (same-run ratio to oneDNN's matmul, 5 alternating runs each: sq1024
  // 0.991-1.002 -> 1.006-1.026, llama7b_qkv_m128 0.951-0.983 -> 0.983-1.027; 12 and 64 groups
  // measured in between).
  const size_t tail = std::min(t.k_groups, kCTailGroups);
#pragma GCC unroll 2
  for (size_t g = tail; g < t.k_groups; ++g) k_group();
  prefetch_tile_c<R>(t);
#pragma GCC unroll 2
  for (size_t g = 0; g < tail; ++g) k_group();
}

// The epilogue with per-tensor zero points straight from the accumulators, for a tile whose K
// is one block: x = dot' + (zA' col_off' + bias) + row_sum' (-zB'), then output step O. Used
// for int32 output (on small K, odd_97x83x61's 16 K-groups, the round trip through memory and
// the generic loop were a fifth of the tile: 1.14 -> 1.27 of oneDNN); the float-requantized
// int8 output measured slower this way than through finish_tile16's buffer (tiny64 s8: 47 vs
// 57-61% of peak; its constants and the 28 accumulators do not fit the registers together),
// so it, the other outputs, per-row or per-column zero points and split K take the buffer.
template <qgemm_output O, size_t R>
inline __attribute__((always_inline)) void per_tensor_from_registers(const __m512i (&acc)[R][2],
                                                                     const tile_args& t) {
  const epilogue_plan& ep = *t.ep;
  const output_consts16 k = load_output_consts16(ep);
  columns16 cols[2];
  __m512i col_term[2];
#pragma GCC unroll 2
  for (size_t h = 0; h < 2; ++h) {
    cols[h] = load_columns16(
        ep, t.col + 16 * h, lane_mask16(static_cast<ptrdiff_t>(t.n) - static_cast<ptrdiff_t>(16 * h)));
    col_term[h] = per_tensor_col_term16<O>(cols[h]);
  }
  constexpr size_t ob = output_elem_bytes(O);
  auto* c = static_cast<char*>(t.c);
#pragma GCC unroll 14
  for (size_t m = 0; m < R; ++m) {
    const int32_t row_term = per_tensor_row_term(t.row_sum[m], ep);
#pragma GCC unroll 2
    for (size_t h = 0; h < 2; ++h)
      output_row16<O>(per_tensor_x16(acc[m][h], col_term[h], row_term), t.row + m, cols[h], k,
                      c + (m * t.ldc + 16 * h) * ob);
  }
}

// The first R rows of the tile (R = t.m): edge tiles and small M do not pay for padding rows.
template <size_t R>
void tile_rows(const tile_args& t) {
  __m512i acc[R][2];
  if (t.lda != 0)
    dot_rows<R, true>(t, acc);
  else
    dot_rows<R, false>(t, acc);
  if (t.first_k && t.last_k && t.ep->output == QGEMM_OUTPUT_S32 && per_tensor_zero_points(*t.ep))
    return per_tensor_from_registers<QGEMM_OUTPUT_S32>(acc, t);
  alignas(64) int32_t dot[R * kNR];
#pragma GCC unroll 14
  for (size_t m = 0; m < R; ++m) {
    _mm512_store_si512(dot + m * kNR, acc[m][0]);
    _mm512_store_si512(dot + m * kNR + 16, acc[m][1]);
  }
  finish_tile16<R, kNR>(dot, t);
}

void tile_14x32c4(const tile_args& t) {
  with_rows<kMR>(t.m, [&](auto rows) { tile_rows<decltype(rows)::value>(t); });
}

// Small M (decode). Rows of A are packed contiguously (a panel of one row in K-groups is just
// the row, shifted to u8 and zero-padded to kp), and B is read panel after panel: the packed B
// is one sequential stream from its first byte to its last, which is what the hardware
// prefetcher serves at full memory bandwidth. Per K-group and row: one broadcast and two
// vpdpbusd on 128 bytes of B; the int32 sums run over all of K (vpdpbusd wraps modulo 2^32, as
// the contract wants, so no K blocking is needed).
constexpr size_t kGemvMaxM = 4;

// With one row, the loop's two accumulators each wait for their last vpdpbusd; two chains, even
// and odd K-groups, added at the end (wrapping int32 addition is associative: the same sums),
// take that wait off the stream of B. Dev harness (qgemm vs oneDNN matmul, B prepacked, one
// thread, min CPU time), 3 alternating runs on Zen 5, ratio to matmul, one chain -> two:
// llama7b_qkv_m1 1.04-1.14 -> 1.14-1.23, up_m1 0.99-1.00 -> 1.02-1.04, down_m1 0.96-1.02 ->
// 1.06-1.09. (Two rows have 4 accumulators already; a second chain there measured worse:
// M = 2, 11008 x 4096, 1.12-1.16 -> 1.05-1.07.)
template <size_t R>
constexpr size_t kGemvChains = R <= 1 ? 2 : 1;

template <size_t R>
void gemv_rows(const gemv_args& g) {
  pack_args pa = g.a;
  pack_a_rows_14x32c4(pa);
  const auto* a_rows = static_cast<const uint8_t*>(pa.dst);
  const auto* panels = static_cast<const uint8_t*>(g.b_panels);
  const output_consts16 consts = load_output_consts16(*g.ep);

  for (size_t col = 0; col < g.n; col += kNR) {
    const uint8_t* b = panels + col * g.kp;  // panel col / NR holds kp * NR bytes
    constexpr size_t C = kGemvChains<R>;
    __m512i acc[C][R][2];
#pragma GCC unroll 2
    for (size_t c = 0; c < C; ++c)
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) acc[c][r][0] = acc[c][r][1] = _mm512_setzero_si512();
    k_groups_in_chains<C>(g.kp, kKR, [&](size_t c, size_t k) {
      const __m512i b0 = _mm512_loadu_si512(b + k * kNR);
      const __m512i b1 = _mm512_loadu_si512(b + k * kNR + 64);
#pragma GCC unroll 4
      for (size_t r = 0; r < R; ++r) {
        int32_t a4;
        std::memcpy(&a4, a_rows + r * g.kp + k, sizeof a4);
        const __m512i am = _mm512_set1_epi32(a4);
        acc[c][r][0] = _mm512_dpbusd_epi32(acc[c][r][0], am, b0);
        acc[c][r][1] = _mm512_dpbusd_epi32(acc[c][r][1], am, b1);
      }
    });
    add_chains_into_first(acc, [](__m512i x, __m512i y) { return _mm512_add_epi32(x, y); });
    gemv_epilogue32(acc[0], pa.sums, col, consts, g);
  }
}

void gemv_14x32c4(const gemv_args& g) {
  with_rows<kGemvMaxM>(g.m, [&](auto rows) { gemv_rows<decltype(rows)::value>(g); });
}

}  // namespace

extern const gemm_kernel ukernel_14x32c4__avx512vnni = {
    "ukernel_14x32c4__avx512vnni", QGEMM_ISA_AVX512VNNI,
    kMR, kNR, kKR,
    /*mc=*/140, /*nc=*/1024, /*kc=*/4096,
    packed_elem::u8, packed_elem::s8,
    &pack_a_14x32c4,
    &pack_panels<kNR, packed_elem::s8, layout_k_groups<kNR, kKR>>,
    &tile_14x32c4,
    &gemv_14x32c4,
    kGemvMaxM,
    &pack_a_rows_14x32c4,
    /*rows_a_max_n=*/1024,
    &sum_a_rows_14x32c4,
};

}  // namespace qgemm::detail
