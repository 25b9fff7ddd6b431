// The interface between the one blocked driver and the per-ISA microkernels.
//
// Why this shape. The driver (driver.cc) owns everything that is the same on every ISA: argument
// checks, blocking over NC/KC/MC, edge tiles, workspace, and the plan of the epilogue. A kernel
// owns only what its instructions dictate: the layout of its packed panels and the MR x NR tile
// computation, including the epilogue applied to its tile while it still sits in registers.
// Adding an ISA therefore means adding one file with a pack_a/pack_b/tile triple and one line
// in kernels.inc.
//
// Zero points. Kernels do not subtract zero points inside the K loop. With A' and B' the values
// actually stored in the packed panels (a kernel may store x ^ 0x80 to turn s8 into u8, or
// widen to int16) and zA', zB' the zero points shifted the same way, the contract's accumulator
// is, modulo 2^32,
//
//     acc[m][n] = dot'[m][n] + row_sum'[m] * neg_zb'[n] + za'[m] * col_off'[n]
//
// with dot' = sum_k A'[m][k] B'[k][n], row_sum' = sum_k A'[m][k] (computed when A is packed),
// neg_zb' = -zB'[n] and col_off' = K zB'[n] - sum_k B'[k][n] (both computed when B is packed).
// Expanding shows it equals sum_k (A'-zA')(B'-zB') = sum_k (A-zA)(B-zB) exactly, for any shift.
#ifndef QGEMM_KERNELS_CORE_KERNEL_H
#define QGEMM_KERNELS_CORE_KERNEL_H

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qgemm/qgemm.h"

// Code in headers that kernel files include (the inline helpers below, core/epilogue.h,
// pack/pack_panels.h) lives in an inline namespace named after the translation unit's ISA.
// Without it, an AVX2 kernel file and the baseline driver could each emit an out-of-line copy
// of, say, finish_tile<3, 4>, and the linker would keep one of them for both: baseline code
// calling an AVX2 copy dies on a CPU without AVX2. qgemm_add_kernel() in CMakeLists.txt gives
// each kernel file its own name; everything else is `baseline`.
#ifndef QGEMM_KERNEL_NAMESPACE
#define QGEMM_KERNEL_NAMESPACE baseline
#endif

namespace qgemm::detail {

// What a packed panel stores per element. s8_abs_sign is an s8 value x (shifted like s8) kept
// as two bytes, |x| and its sign as 0x00 / 0xFF, where the kernel wants them (the vpmaddubsw
// kernels fold A's sign into B; A is packed once per call, so splitting it there is cheap).
// row_sum' is still the sum of x.
enum class packed_elem : uint8_t { u8, s8, s16, s8_abs_sign };

// Everything an epilogue needs, resolved once per call. Arrays with stride 0 hold one value
// (per tensor); stride 1 means one per row (za, sa) or per column (the rest), indexed by the
// global row/column of C.
struct epilogue_plan {
  qgemm_output output;
  qgemm_type out_type;  // U8/S8 for requant, S32, F32

  // zero-point correction (see the top of this file)
  const int32_t* za;       // zA as given, stride za_stride; zA' = za[...] + za_shift
  size_t za_stride;
  int32_t za_shift;        // the shift the kernel's A packing applied (0, +128 or -128)
  const int32_t* neg_zb;   // -zB' (shifted), stride neg_zb_stride
  size_t neg_zb_stride;
  const int32_t* col_off;  // K zB' - colsum(B'), one per column

  const int32_t* bias;     // S32 / REQUANT_*: per column, or nullptr

  const float* scale;      // REQUANT_FLOAT
  size_t scale_stride;
  const int32_t* multiplier;  // REQUANT_FIXED
  const int32_t* shift;
  size_t multiplier_stride;
  int32_t out_zero_point, out_min, out_max;  // REQUANT_*

  const float* a_scale;    // F32
  size_t a_scale_stride;
  const float* b_scale;
  size_t b_scale_stride;
  const float* bias_f32;   // or nullptr
  float f32_min, f32_max;
  bool f32_clamp;
};

// Packing a block of rows of op(A) or of columns of op(B) into MR- or NR-wide panels of the
// kernel's packed element X'. Panels follow each other; each holds kp * R elements (kp = K
// rounded up to KR, zeros beyond the matrix), and the part of a panel for the K block that
// starts at k0 (a multiple of KC) begins at element k0 * R. Inside that, the order is the
// kernel's choice; pack/pack_panels.h offers K-groups ([k / KR][r][k % KR]) and K-blocks of
// contiguous rows.
struct pack_args {
  const void* src;
  size_t ld;
  bool k_contiguous;   // element (r, k) at src[r*ld + k] (A, or B^T); else src[k*ld + r]
  qgemm_type type;     // U8 or S8 as given
  size_t r0, rows;     // which rows (of op(A)) or columns (of op(B)) to pack
  size_t k;            // full depth
  void* dst;           // ceil(rows / R) panels of kp * R elements
  int32_t* sums;       // rows values: sum over k of the packed element, mod 2^32
  // A of a kernel whose a_elem is s8_abs_sign only (else null): room for ceil(rows / R) x
  // ceil(kp / KC) x R int32, per panel, K block and row in that order (at least one K block).
  // A vpmaddubsw kernel that folds A's sign into B misses, per row and K block, the sum of |x|
  // over the negative x; its packer may store that here once per call, and its tiles read it
  // through tile_args::neg_abs_sums instead of recomputing it for every column tile
  // (x86/ukernel_6x16c4__avx2.cc does; ukernel_12x32c4__avx512bw still computes it per tile).
  int32_t* neg_abs_sums;
};

// One MR x NR tile over one block of K.
struct tile_args {
  size_t k_groups;          // number of KR-groups in this K block
  const void* a;            // packed A panel at this K block (lda == 0), or with pack_a_rows
                            // (lda > 0) row 0 of the tile's A rows at this K block (packed, or
                            // the caller's A itself: gemm_kernel::sum_a_rows)
  size_t lda;               // 0: A in MR-row panels; else bytes from one A row to the next
  const void* b;            // packed B panel at this K block
  size_t m, n;              // valid rows and columns of the tile (1..MR, 1..NR)
  int32_t* partial;         // int32 partial sums of the earlier K blocks of this tile
  size_t ld_partial;
  bool first_k, last_k;     // first_k: start from 0; !last_k: store dot' to partial
  // used when last_k:
  size_t row, col;          // tile origin in C (indexes the plan's arrays)
  const int32_t* row_sum;   // row_sum' of the tile's rows (m values)
  const int32_t* neg_abs_sums;  // s8_abs_sign A: pack_args::neg_abs_sums at this panel and
                                // K block (MR values), else null
  const epilogue_plan* ep;
  void* c;                  // C at the tile origin
  size_t ldc;               // in elements of the output type
};

// The whole GEMM for a small M (LLM decode): the work is streaming B once, so a kernel may offer
// a path that walks every B panel from the first to the last byte in one pass, for all m rows
// at once, instead of the blocked loops.
struct gemv_args {
  size_t m, n, k, kp;       // m rows of op(A), 1 .. gemv_max_m
  pack_args a;              // how to read op(A): src, ld, k_contiguous, type, r0 = 0, rows = m,
                            // k; dst = scratch of m * kp packed elements, sums = m row sums
  const void* b_panels;     // the packed B: ceil(n / NR) panels of kp * NR elements
  const epilogue_plan* ep;
  void* c;                  // C at (0, 0)
  size_t ldc;
};

struct gemm_kernel {
  const char* name;         // ukernel_<MR>x<NR>c<KR>__<isa>
  qgemm_isa isa;
  size_t mr, nr, kr;
  size_t mc, nc, kc;        // block sizes (multiples of mr, nr, kr)
  packed_elem a_elem, b_elem;
  void (*pack_a)(const pack_args&);
  void (*pack_b)(const pack_args&);
  void (*tile)(const tile_args&);
  // Optional: the small-M path (see gemv_args), used when M <= gemv_max_m.
  void (*gemv)(const gemv_args&) = nullptr;
  size_t gemv_max_m = 0;
  // Optional: a cheaper A packing for narrow products. Packing A is paid once per row block and
  // shared by the block's N / NR column tiles, so where those are few (resnet_conv3x3_56: 2)
  // the panel packer's transposes cost more than the tile layout saves. pack_a_rows writes A
  // as rows of kp elements (panels of one row, zero-padded), and the tiles get tile_args::lda;
  // the driver uses it when the columns of a task number at most rows_a_max_n.
  void (*pack_a_rows)(const pack_args&) = nullptr;
  size_t rows_a_max_n = 0;
  // Optional, with pack_a_rows: a row-major A whose bytes already are the kernel's packed
  // element (no shift: a u8 A for a u8 a_elem) already has the rows layout, rows p.ld bytes
  // apart (when K is not a multiple of KR and the rows are contiguous, a row's last K-group
  // reads the next row's first bytes against B's zero padding; the driver copies the rows whose
  // last K-group would pass the end of A). The driver then lets the tiles read it where the caller
  // left it (tile_args::lda = the caller's ld): nothing is copied, and sum_a_rows only computes
  // the row sums (p.sums of p.rows rows from p.r0; nothing written to p.dst), which the driver
  // asks for only when some column has zB' != 0 (row_sum' is multiplied by -zB').
  void (*sum_a_rows)(const pack_args&) = nullptr;
};

inline namespace QGEMM_KERNEL_NAMESPACE {

// Bytes of one element of C for an epilogue output: int32 and float32, or int8/uint8.
inline constexpr size_t output_elem_bytes(qgemm_output o) {
  return (o == QGEMM_OUTPUT_S32 || o == QGEMM_OUTPUT_F32) ? 4 : 1;
}

inline constexpr size_t packed_elem_bytes(packed_elem e) {
  return e == packed_elem::s16 || e == packed_elem::s8_abs_sign ? 2 : 1;
}

// The shift a kernel's packing applies to a zero point of the given source type.
inline int32_t zero_point_shift(qgemm_type src, packed_elem dst) {
  if (dst == packed_elem::u8 && src == QGEMM_S8) return 128;   // x ^ 0x80 == x + 128
  if ((dst == packed_elem::s8 || dst == packed_elem::s8_abs_sign) && src == QGEMM_U8)
    return -128;  // x ^ 0x80 == x - 128
  return 0;
}

// Asks for the lines of C that the epilogue of tile t (its first R rows, t.n columns) will
// store, for writing, so that its stores do not wait on them: C is usually not cached (a 1024 x
// 1024 int32 C is 4 MiB), and a tile's worth of stores that miss fills the store queue. A tile
// calls this when it is the last K block: the AVX2 tiles before their K loop, the avx512vnni
// tile some K-groups before the end of it (perf annotate of sq1024 on the avx512vnni kernel: 8%
// of the tile in the epilogue with no prefetch; 0.95 -> 0.97 of oneDNN with it before the loop,
// ~1.01 with it near the end).
// (R is a template argument and the loop unrolled, so that each tile compiles as it did with
// the loop written inline in it: with a run-time row count GCC laid out the AVX2 tiles' K loop
// differently, and the AVX-VNNI twin lost 5-10% on sq1024.)
template <size_t R>
inline __attribute__((always_inline)) void prefetch_tile_c(const tile_args& t) {
  if (!t.last_k) return;
  const size_t ob = output_elem_bytes(t.ep->output);
  const char* c = static_cast<const char*>(t.c);
#pragma GCC unroll 16
  for (size_t m = 0; m < R; ++m) {
    __builtin_prefetch(c + m * t.ldc * ob, 1, 3);
    __builtin_prefetch(c + m * t.ldc * ob + t.n * ob - 1, 1, 3);
  }
}

// Calls f(std::integral_constant<size_t, R>{}) with R = rows, for rows in [1, MaxR]. Kernels
// compile their tile (and small-M path) once per row count: constant trip counts are what let
// the compiler keep every accumulator in a register, and an edge tile or M = 1 then does no work
// for padding rows.
template <size_t MaxR, class F, size_t... R>
inline void with_rows_impl(size_t rows, F& f, std::index_sequence<R...>) {
  (void)((rows == R + 1 ? (f(std::integral_constant<size_t, R + 1>{}), true) : false) || ...);
}
template <size_t MaxR, class F>
inline void with_rows(size_t rows, F&& f) {
  with_rows_impl<MaxR>(rows, f, std::make_index_sequence<MaxR>{});
}

// The K loop of a small-M path over kp / kr K-groups, spread over C chains of accumulators:
// calls k_group(c, k) with k = 0, kr, ..., kp - kr, chain c = (k / kr) mod C while C whole
// K-groups remain, then chain 0. With few rows each accumulator would otherwise wait for its
// own last multiply-add (the instruction's latency) on every K-group; the caller adds the
// chains at the end (wrapping int32 addition: the same sums in any order).
template <size_t C, class KGroup>
inline __attribute__((always_inline)) void k_groups_in_chains(size_t kp, size_t kr,
                                                              KGroup&& k_group) {
  size_t k = 0;
  if constexpr (C > 1) {
    for (; k + C * kr <= kp; k += C * kr)
#pragma GCC unroll 4
      for (size_t c = 0; c < C; ++c) k_group(c, k + c * kr);
  }
  for (; k < kp; k += kr) k_group(0, k);
}

// After k_groups_in_chains: adds chains 1 .. C - 1 of acc (C chains of R rows of V vectors)
// into chain 0 with add (the vector type's int32 addition, which wraps: any order gives the
// same sums).
template <size_t C, size_t R, size_t V, class Vec, class Add>
inline __attribute__((always_inline)) void add_chains_into_first(Vec (&acc)[C][R][V], Add add) {
#pragma GCC unroll 2
  for (size_t c = 1; c < C; ++c)
#pragma GCC unroll 4
    for (size_t r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (size_t v = 0; v < V; ++v) acc[0][r][v] = add(acc[0][r][v], acc[c][r][v]);
}

}  // namespace QGEMM_KERNEL_NAMESPACE

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_KERNEL_H
