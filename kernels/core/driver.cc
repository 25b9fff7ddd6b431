// The one driver of every kernel: BLIS's loops, reordered for prepacked weights.
//
//   for ic in M, step MC:            pack rows ic..ic+MC of op(A), all of K, + row sums
//     for jc in N, step NC:
//       for pc in K, step KC:        (one pass when K <= KC)
//         for jr in NC, step NR:     B panel (KC x NR): meant to stay in L1 across the ir loop
//           for ir in MC, step MR:   A block (MC x KC): meant to stay in L2 across the jr loop
//             tile(MR x NR)          (a thin last tile of the block takes rows from the one
//                                     before: block_tiles)
//
// (A kernel whose loads are not its bottleneck may choose a KC far past L1, as the portable
// one does.) When the A block is a single panel (M <= MR: decode), pc moves inside jr, so that
// each B panel streams through all of K at once instead of in KC pieces kp * NR apart.
//
// B is packed once, before any GEMM (qgemm_pack_b) or once per one-shot call, so the jc loop
// costs no packing and sits inside ic: each A block is packed once per call and reused for every
// column block. When K is split, the int32 sums of the earlier K blocks of an MC x NC block wait
// in a per-thread buffer; int32 addition is exact modulo 2^32, so splitting changes no bit.
//
// Workspace: per thread (thread_local), grown on demand and never shrunk, so steady-state calls
// do not allocate. It holds the packed A block, its row sums, the partial sums, for kernels
// whose A is s8_abs_sign the per-row, per-K-block sums of their packer (pack_args), and, for
// one-shot calls, the packed B.
#include "core/driver.h"

#include <algorithm>
#include <atomic>

#include "core/epilogue.h"
#include "core/error.h"
#include "core/partition.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

struct workspace {
  aligned_buffer a_pack, row_sum, partial, neg_abs_sums, k_split;
  qgemm_packed_b oneshot_b;
};

workspace& thread_workspace() {
  thread_local workspace w;
  return w;
}

bool mul_overflows(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

size_t packed_b_bytes(const gemm_kernel& k, size_t K, size_t N, bool* overflow) {
  size_t panel_elems = 0, panels_bytes = 0;
  const size_t kp = round_up(K, k.kr);
  const size_t np = round_up(N, k.nr);
  *overflow = kp < K || np < N || mul_overflows(kp, np, &panel_elems) ||
              mul_overflows(panel_elems, packed_elem_bytes(k.b_elem), &panels_bytes) ||
              panels_bytes > SIZE_MAX / 2 || N > SIZE_MAX / 16;
  if (*overflow) return 0;
  return round_up(panels_bytes, 64) + 2 * (N + 1) * sizeof(int32_t);
}

qgemm_status pack_b(const gemm_kernel& k, size_t K, size_t N, const qgemm_operand& b,
                    qgemm_packed_b& out) {
  bool overflow = false;
  const size_t bytes = packed_b_bytes(k, K, N, &overflow);
  if (overflow)
    return fail(QGEMM_ERROR_INVALID_SIZE, "packed B of K = %zu x N = %zu does not fit in memory",
                K, N);
  if (!out.storage.reserve(bytes))
    return fail(QGEMM_ERROR_OUT_OF_MEMORY, "cannot allocate %zu bytes for packed B", bytes);

  const size_t kp = round_up(K, k.kr);
  const size_t panels_bytes = round_up(N, k.nr) * kp * packed_elem_bytes(k.b_elem);
  char* base = static_cast<char*>(out.storage.data());
  auto* col_off = reinterpret_cast<int32_t*>(base + round_up(panels_bytes, 64));
  int32_t* neg_zb = col_off + N;

  // op(B) element (k, n): B^T is stored N x K, so its columns are k-contiguous rows.
  pack_args p{};
  p.src = b.data;
  p.ld = static_cast<size_t>(b.ld);
  p.k_contiguous = b.trans == QGEMM_TRANS;
  p.type = b.type;
  p.r0 = 0;
  p.rows = N;
  p.k = K;
  p.dst = base;
  p.sums = col_off;  // column sums first, turned into col_off below
  if (N > 0) k.pack_b(p);

  const int32_t shift = zero_point_shift(b.type, k.b_elem);
  const bool per_column = b.zero_points != nullptr;
  for (size_t n = 0; n < N; ++n) {
    const int32_t zb = (per_column ? b.zero_points[n] : b.zero_point) + shift;
    col_off[n] = wrap_add(wrap_mul(static_cast<int32_t>(static_cast<uint32_t>(K)), zb),
                          wrap_mul(-1, col_off[n]));
    if (per_column) neg_zb[n] = -zb;
  }
  if (!per_column) neg_zb[0] = -(b.zero_point + shift);

  out.K = static_cast<int64_t>(K);
  out.N = static_cast<int64_t>(N);
  out.type = b.type;
  out.trans = b.trans;
  out.zero_point_per_column = per_column;
  out.kernel = &k;
  out.kp = kp;
  out.panels = base;
  out.neg_zb = neg_zb;
  out.col_off = col_off;
  out.bytes = bytes;
  return QGEMM_OK;
}

qgemm_packed_b& thread_scratch_packed_b() { return thread_workspace().oneshot_b; }

void release_thread_workspace() {
  workspace& w = thread_workspace();
  w.a_pack.release();
  w.row_sum.release();
  w.neg_abs_sums.release();
  w.partial.release();
  w.k_split.release();
  w.oneshot_b.storage.release();
}

namespace {

epilogue_plan make_plan(const qgemm_operand& a, const qgemm_packed_b& b, const gemm_kernel& k,
                        const qgemm_epilogue& e) {
  epilogue_plan ep{};
  ep.output = e.output;
  ep.out_type = e.out_type;
  ep.za = a.zero_points ? a.zero_points : &a.zero_point;
  ep.za_stride = a.zero_points ? 1 : 0;
  ep.za_shift = zero_point_shift(a.type, k.a_elem);
  ep.neg_zb = b.neg_zb;
  ep.neg_zb_stride = b.zero_point_per_column ? 1 : 0;
  ep.col_off = b.col_off;
  ep.bias = e.bias;
  ep.scale = e.scale;
  ep.scale_stride = e.scale_per_column ? 1 : 0;
  ep.multiplier = e.multiplier;
  ep.shift = e.shift;
  ep.multiplier_stride = e.multiplier_per_column ? 1 : 0;
  ep.out_zero_point = e.out_zero_point;
  ep.out_min = e.out_min;
  ep.out_max = e.out_max;
  ep.a_scale = e.a_scale;
  ep.a_scale_stride = e.a_scale_per_row ? 1 : 0;
  ep.b_scale = e.b_scale;
  ep.b_scale_stride = e.b_scale_per_column ? 1 : 0;
  ep.bias_f32 = e.bias_f32;
  ep.f32_min = e.f32_min;
  ep.f32_max = e.f32_max;
  ep.f32_clamp = e.f32_min > -HUGE_VALF || e.f32_max < HUGE_VALF;
  return ep;
}

}  // namespace

namespace {

// Everything about one call that its tasks share, read-only.
// Tests force either A layout of a kernel with pack_a_rows (driver.h); SIZE_MAX = the kernel's.
std::atomic<size_t> g_rows_a_max_n_override{SIZE_MAX};

}  // namespace

void set_rows_a_max_n_for_tests(size_t n) {
  g_rows_a_max_n_override.store(n, std::memory_order_relaxed);
}

namespace {

size_t rows_a_max_n(const gemm_kernel& k) {
  const size_t o = g_rows_a_max_n_override.load(std::memory_order_relaxed);
  return o == SIZE_MAX ? k.rows_a_max_n : o;
}

struct gemm_call {
  const gemm_kernel* k;
  size_t M, N, K, kp, k_blocks;
  size_t a_elem, b_elem, out_bytes;
  bool abs_sign;
  const qgemm_operand* a;
  const char* b_panels;
  const epilogue_plan* ep;
  char* C;
  size_t ldc;
};

// One task's share of the workspace: an A block (MC rows x a K range) with its row sums and
// |x| sums, and the partial sums of one MC x NC block.
struct task_space {
  char* a_pack;
  int32_t* row_sum;
  int32_t* neg_abs_sums;
  int32_t* partial;
};

// Where a task leaves its raw dot' sums instead of running the epilogue (a K-range task):
// rows x columns of C from (0, 0), ld int32 apart, and the rows' partial row sums.
struct dot_out {
  int32_t* dot;
  size_t ld;
  int32_t* row_sums;
};

// The row tiles of a block of mc rows: MR rows each, except that a last tile of fewer than
// kMinLastTileRows rows takes rows from the one before (16 rows on a 14-row kernel: 12 + 4, not
// 14 + 2). A thin tile reads its B panel, from L2 after the tile before, for too few rows to
// keep the vector unit busy. avx512vnni, dev harness, min of 8 rounds, 4 alternating runs of
// one binary, 14 + 2 -> 12 + 4: 16 x 2048 x 4096 425-433 -> 452-459 GOPS and 30 x 2048 x 4096
// 435-444 -> 457-460 in 3 of the 4 runs, llama7b_qkv_m16 and M = 17 ahead in 6 of 8 (their B
// streams from L3: noisier), llama7b_qkv_m128 unchanged; 3 and 5 rows measured about as well
// as 4, and 8 + 8 worse (the first tile then streams B for only 8 rows). Kernels of
// MR < 2 kMinLastTileRows keep MR.
struct block_tiles {
  static constexpr size_t kMinLastTileRows = 4;
  size_t mr, count, last, shift;
  block_tiles(size_t mc, size_t kmr) : mr(kmr), count((mc + kmr - 1) / kmr) {
    last = mc - (count - 1) * mr;
    shift = count >= 2 && last < kMinLastTileRows && mr >= 2 * kMinLastTileRows
                ? kMinLastTileRows - last
                : 0;
  }
  size_t start(size_t i) const { return i * mr - (i + 1 == count ? shift : 0); }
  size_t rows(size_t i) const {
    return i + 1 == count ? last + shift : i + 2 == count ? mr - shift : mr;
  }
};

// The blocked loops (top of this file) over rows [m0, m1) and columns [n0, n1) of C and the
// K blocks [kb0, kb1): the whole GEMM on one thread is run_blocks(0, M, 0, N, 0, k_blocks).
// m0 and n0 are multiples of MR and NR. With `out`, the K range is part of K: its sums go to
// out and no epilogue runs.
void run_blocks(const gemm_call& g, size_t m0, size_t m1, size_t n0, size_t n1, size_t kb0,
                size_t kb1, const task_space& s, const dot_out* out) {
  const gemm_kernel& k = *g.k;
  const size_t kp = g.kp, a_elem = g.a_elem, b_elem = g.b_elem;
  const bool abs_sign = g.abs_sign;
  // The A block holds this K range only: k0 .. k1 of op(A), kp_r packed.
  const size_t k0 = kb0 * k.kc, k1 = std::min(kb1 * k.kc, g.K);
  const size_t kp_end = std::min(kb1 * k.kc, kp);
  const size_t kp_r = kp_end - k0;
  const size_t kb_r = std::max<size_t>((kp_r + k.kc - 1) / k.kc, 1);
  const auto* b_panels = g.b_panels;
  char* const a_pack = s.a_pack;
  int32_t* const row_sum = s.row_sum;
  int32_t* const partial = s.partial;
  int32_t* const neg_abs_sums = s.neg_abs_sums;

  pack_args pa{};
  pa.src = g.a->data;
  pa.ld = static_cast<size_t>(g.a->ld);
  pa.k_contiguous = g.a->trans == QGEMM_NO_TRANS;  // op(A) = A: row m is k-contiguous
  pa.type = g.a->type;
  pa.k = k1 - k0;
  if (k0 > 0)  // op(A) element (m, k0): column k0 of A, or row k0 of the stored A^T
    pa.src = static_cast<const char*>(pa.src) + (pa.k_contiguous ? k0 : k0 * pa.ld);
  pa.dst = a_pack;  // rows and sums: block_rows
  pa.neg_abs_sums = neg_abs_sums;

  tile_args t{};
  t.ep = g.ep;
  t.ld_partial = out ? out->ld : k.nc;
  t.ldc = g.ldc;
  // A as rows of kp_r bytes (kernel.h: pack_a_rows) when this task's columns are few; and a
  // row-major A already in the kernel's element type read where it is (kernel.h: sum_a_rows),
  // its row sums computed only when some zB' != 0.
  const bool a_rows = k.pack_a_rows != nullptr && n1 - n0 <= rows_a_max_n(k);
  const bool a_in_place = a_rows && k.sum_a_rows != nullptr && pa.k_contiguous && g.K > 0 &&
                          (g.K % k.kr == 0 || pa.ld == g.K) && a_elem == 1 &&
                          zero_point_shift(pa.type, k.a_elem) == 0;
  const bool row_sums_used = g.ep->neg_zb_stride != 0 || g.ep->neg_zb[0] != 0;
  const char* const a_src = static_cast<const char*>(pa.src);  // op(A) at (0, k0)
  // Read in place, row r's bytes [0, kp) must lie inside A, which ends at (M - 1) ld + K: when
  // K is not a multiple of KR the last K-group reads up to kp - K bytes past the row, which
  // (ld == K: only then) are the next row's first bytes; B is zero there, so they add nothing,
  // and the row sums come from sum_a_rows, which stops at K. (With ld > K they would be bytes
  // between rows that are not part of A: another thread may be writing them.) Rows from
  // in_place_end on would read past the end of A: the tiles that hold them read a copy
  // (pack_a_rows) instead.
  size_t in_place_end = 0;
  if (a_in_place) {
    const size_t a_end = (g.M - 1) * pa.ld + g.K;
    in_place_end = a_end < kp ? 0 : std::min(g.M, (a_end - kp) / pa.ld + 1);  // ld >= K > 0
  }

  for (size_t ic = m0; ic < m1; ic += k.mc) {
    const size_t mc = std::min(k.mc, m1 - ic);
    const block_tiles bt(mc, k.mr);
    // Rows [ic, ic + copy_from) are read in place, the tiles from copy_from on from a copy.
    const size_t safe = in_place_end > ic ? in_place_end - ic : 0;
    size_t copy_from = mc;  // the first tile that ends past `safe`
    for (size_t i = 0; i < bt.count && copy_from == mc; ++i)
      if (bt.start(i) + bt.rows(i) > safe) copy_from = bt.start(i);
    // pack_args for rows [r, r + rows) of the block, their row sums at row_sum + r.
    auto block_rows = [&](size_t r, size_t rows) {
      pack_args p = pa;
      p.r0 = ic + r;
      p.rows = rows;
      p.sums = row_sum + r;
      return p;
    };
    if (copy_from > 0 && row_sums_used)
      k.sum_a_rows(block_rows(0, copy_from));
    else
      std::fill(row_sum, row_sum + copy_from, 0);
    if (copy_from < mc && a_rows) {
      k.pack_a_rows(block_rows(copy_from, mc - copy_from));
    } else if (copy_from < mc) {
      // One panel per tile (copy_from is 0: only rows of A are read in place), in the kernel's
      // MR-row panel layout, as the tiles' rows may not start at multiples of MR.
      for (size_t i = 0; i < bt.count; ++i) {
        pack_args p = block_rows(bt.start(i), bt.rows(i));
        p.dst = a_pack + i * kp_r * k.mr * a_elem;
        p.neg_abs_sums = abs_sign ? neg_abs_sums + i * kb_r * k.mr : nullptr;
        k.pack_a(p);
      }
    }
    if (out) std::copy(row_sum, row_sum + mc, out->row_sums + ic);
    // One tile over one K block. At least one K pass runs, so that K == 0 still applies the
    // epilogue to zero sums.
    auto run_tile = [&](size_t jc, size_t nc, size_t pc, size_t jr, size_t ti) {
      const size_t ir = bt.start(ti);
      const size_t kc = std::min(k.kc, kp_end - pc);
      t.k_groups = kc / k.kr;
      t.first_k = pc == k0;
      t.last_k = out == nullptr && pc + kc >= kp;
      t.b = b_panels + ((jc + jr) / k.nr * kp + pc) * k.nr * b_elem;
      t.n = std::min(k.nr, nc - jr);
      t.col = jc + jr;
      if (ir < copy_from) {
        t.a = a_src + (ic + ir) * pa.ld + (pc - k0);
        t.lda = pa.ld;
      } else if (a_rows) {
        t.a = a_pack + ((ir - copy_from) * kp_r + (pc - k0)) * a_elem;
        t.lda = kp_r * a_elem;
      } else {
        t.a = a_pack + (ti * kp_r + (pc - k0)) * k.mr * a_elem;
        t.lda = 0;
      }
      t.m = bt.rows(ti);
      t.row = ic + ir;
      // Unsplit K never reserves (or reads) the partial sums: no arithmetic on a null pointer.
      t.partial = out       ? out->dot + t.row * out->ld + t.col
                  : partial ? partial + ir * k.nc + jr
                            : nullptr;
      t.row_sum = row_sum + ir;
      t.neg_abs_sums =
          abs_sign ? neg_abs_sums + (ti * kb_r + (pc - k0) / k.kc) * k.mr : nullptr;
      t.c = g.C + (t.row * g.ldc + t.col) * g.out_bytes;
      k.tile(t);
    };
    for (size_t jc = n0; jc < n1; jc += k.nc) {
      const size_t nc = std::min(k.nc, n1 - jc);
      if (mc <= k.mr) {
        // A single A panel (small M, LLM decode): nothing to reuse a B block for, so walk each
        // B panel through all of K before the next: one contiguous stream per panel.
        for (size_t jr = 0; jr < nc; jr += k.nr)
          for (size_t pc = k0; pc == k0 || pc < kp_end; pc += k.kc) run_tile(jc, nc, pc, jr, 0);
      } else {
        for (size_t pc = k0; pc == k0 || pc < kp_end; pc += k.kc)
          for (size_t jr = 0; jr < nc; jr += k.nr)
            for (size_t ti = 0; ti < bt.count; ++ti) run_tile(jc, nc, pc, jr, ti);
      }
    }
  }
}

// The plan of the columns from n0 on: per-column arrays start at column n0 (the small-M path
// indexes columns from 0).
epilogue_plan plan_from_column(const epilogue_plan& ep, size_t n0) {
  epilogue_plan p = ep;
  p.neg_zb += n0 * ep.neg_zb_stride;
  p.col_off += n0;
  if (p.bias) p.bias += n0;
  if (p.scale) p.scale += n0 * ep.scale_stride;
  if (p.multiplier) p.multiplier += n0 * ep.multiplier_stride;
  if (p.shift) p.shift += n0 * ep.multiplier_stride;
  if (p.b_scale) p.b_scale += n0 * ep.b_scale_stride;
  if (p.bias_f32) p.bias_f32 += n0;
  return p;
}

// The kernel's small-M path over columns [n0, n1) (n0 a multiple of NR), all M rows.
void run_small_m(const gemm_call& g, size_t n0, size_t n1, const task_space& s) {
  const gemm_kernel& k = *g.k;
  const epilogue_plan ep = n0 == 0 ? *g.ep : plan_from_column(*g.ep, n0);
  gemv_args v{};
  v.m = g.M;
  v.n = n1 - n0;
  v.k = g.K;
  v.kp = g.kp;
  v.a.src = g.a->data;
  v.a.ld = static_cast<size_t>(g.a->ld);
  v.a.k_contiguous = g.a->trans == QGEMM_NO_TRANS;
  v.a.type = g.a->type;
  v.a.rows = g.M;
  v.a.k = g.K;
  v.a.dst = s.a_pack;
  v.a.sums = s.row_sum;
  v.a.neg_abs_sums = g.abs_sign ? s.neg_abs_sums : nullptr;
  v.b_panels = g.b_panels + n0 / k.nr * g.kp * k.nr * g.b_elem;
  v.ep = &ep;
  v.c = g.C + n0 * g.out_bytes;
  v.ldc = g.ldc;
  k.gemv(v);
}

// A threaded call: the cut, the call, and where each task's workspace share lies.
struct threaded_call {
  const gemm_call* g;
  partition part;
  char* a_pack;
  int32_t *row_sum, *neg_abs_sums, *partial;
  size_t a_stride, row_sum_stride, neg_abs_stride, partial_stride;  // per task, in elements
  int32_t* dots;      // K split: per part, M x ld_dot sums then M row sums
  size_t ld_dot, dots_stride;
};

void run_task(void* arg, size_t i) {
  const threaded_call& tc = *static_cast<const threaded_call*>(arg);
  const gemm_call& g = *tc.g;
  const task_space s{tc.a_pack + i * tc.a_stride, tc.row_sum + i * tc.row_sum_stride,
                     tc.neg_abs_sums ? tc.neg_abs_sums + i * tc.neg_abs_stride : nullptr,
                     tc.partial ? tc.partial + i * tc.partial_stride : nullptr};
  const partition& p = tc.part;
  if (p.k_parts > 1) {
    size_t kb0 = 0, kb1 = 0;
    tile_range(g.k_blocks, 1, g.k_blocks, p.k_parts, i, &kb0, &kb1);
    int32_t* slot = tc.dots + i * tc.dots_stride;
    const dot_out out{slot, tc.ld_dot, slot + g.M * tc.ld_dot};
    run_blocks(g, 0, g.M, 0, g.N, kb0, kb1, s, &out);
    return;
  }
  const size_t im = i / p.pn, in = i % p.pn;
  size_t m0 = 0, m1 = 0, n0 = 0, n1 = 0;
  tile_range(g.M, g.k->mr, (g.M + g.k->mr - 1) / g.k->mr, p.pm, im, &m0, &m1);
  tile_range(g.N, g.k->nr, (g.N + g.k->nr - 1) / g.k->nr, p.pn, in, &n0, &n1);
  if (m0 >= m1 || n0 >= n1) return;
  if (p.small_m)
    run_small_m(g, n0, n1, s);
  else
    run_blocks(g, m0, m1, n0, n1, 0, g.k_blocks, s, nullptr);
}

// After a K split: C = epilogue(sum of the parts' sums), row by row. int32 addition is exact
// modulo 2^32 (and so are the row sums), so this is the sum one thread would have made.
void finish_k_split(const threaded_call& tc) {
  const gemm_call& g = *tc.g;
  int32_t* sum = tc.dots;  // part 0's slot accumulates
  for (size_t m = 0; m < g.M; ++m) {
    int32_t* row = sum + m * tc.ld_dot;
    int32_t row_sum = sum[g.M * tc.ld_dot + m];
    for (size_t part = 1; part < tc.part.k_parts; ++part) {
      const int32_t* other = tc.dots + part * tc.dots_stride;
      for (size_t n = 0; n < g.N; ++n) row[n] = wrap_add(row[n], other[m * tc.ld_dot + n]);
      row_sum = wrap_add(row_sum, other[g.M * tc.ld_dot + m]);
    }
    epilogue_row(row, g.N, m, 0, row_sum, *g.ep, g.C + m * g.ldc * g.out_bytes);
  }
}

// Reserves `count` slices of `bytes` (rounded to 64) in `buf`; the stride in bytes, or 0 when
// it does not fit.
bool reserve_slices(aligned_buffer& buf, size_t bytes, size_t count, size_t* stride) {
  size_t total = 0;
  *stride = round_up(bytes, 64);
  return *stride >= bytes && !mul_overflows(*stride, count, &total) && buf.reserve(total);
}

}  // namespace

qgemm_status gemm_packed(size_t M, const qgemm_operand& a, const qgemm_packed_b& b,
                         const qgemm_epilogue& e, void* C, size_t ldc,
                         const thread_plan& threads) {
  const size_t N = static_cast<size_t>(b.N), K = static_cast<size_t>(b.K);
  if (M == 0 || N == 0) return QGEMM_OK;
  const gemm_kernel& k = *b.kernel;
  const size_t kp = b.kp;
  const size_t mc_max = std::min(round_up(M, k.mr), k.mc);
  const size_t a_elem = packed_elem_bytes(k.a_elem), b_elem = packed_elem_bytes(k.b_elem);
  const size_t k_blocks = std::max<size_t>((kp + k.kc - 1) / k.kc, 1);
  const bool abs_sign = k.a_elem == packed_elem::s8_abs_sign;
  // OpenMP takes tasks one at a time (run_tasks); a caller's pool gets one per thread.
  const partition part = choose_partition(k, M, N, kp, threads.threads, threads.min_macs_per_task,
                                          /*dynamic=*/threads.parallel_for == nullptr);
  const bool small_m = part.small_m;
  const bool split_k = kp > k.kc && !small_m && part.k_parts == 1;  // small-M sums all K at once
  const size_t tasks = part.tasks();

  // Reserve the workspace of every task before anything is written, so that running out of
  // memory leaves C untouched. Sizes cannot overflow: mc_max <= MC and kp was bounded when B
  // was packed; a K split has fewer than `tasks` tiles of output.
  workspace& w = thread_workspace();
  size_t a_stride = 0, rs_stride = 0, nas_stride = 0, partial_stride = 0, dots_stride = 0;
  const size_t ld_dot = round_up(N, k.nr);
  const bool ok =
      reserve_slices(w.a_pack, mc_max * std::max<size_t>(kp, 1) * a_elem, tasks, &a_stride) &&
      reserve_slices(w.row_sum, mc_max * sizeof(int32_t), tasks, &rs_stride) &&
      (!abs_sign ||
       reserve_slices(w.neg_abs_sums, mc_max * k_blocks * sizeof(int32_t), tasks, &nas_stride)) &&
      (!split_k || reserve_slices(w.partial, mc_max * k.nc * sizeof(int32_t), tasks,
                                  &partial_stride)) &&
      (part.k_parts == 1 ||
       reserve_slices(w.k_split, (round_up(M, k.mr) * ld_dot + M) * sizeof(int32_t), tasks,
                      &dots_stride));
  if (!ok)
    return fail(QGEMM_ERROR_OUT_OF_MEMORY,
                "cannot allocate the GEMM workspace (MC = %zu, K = %zu, %zu tasks)", mc_max, K,
                tasks);

  const epilogue_plan ep = make_plan(a, b, k, e);
  gemm_call g{};
  g.k = &k;
  g.M = M;
  g.N = N;
  g.K = K;
  g.kp = kp;
  g.k_blocks = k_blocks;
  g.a_elem = a_elem;
  g.b_elem = b_elem;
  g.out_bytes = output_elem_bytes(e.output);
  g.abs_sign = abs_sign;
  g.a = &a;
  g.b_panels = static_cast<const char*>(b.panels);
  g.ep = &ep;
  g.C = static_cast<char*>(C);
  g.ldc = ldc;
  const task_space s0{static_cast<char*>(w.a_pack.data()), static_cast<int32_t*>(w.row_sum.data()),
                      abs_sign ? static_cast<int32_t*>(w.neg_abs_sums.data()) : nullptr,
                      static_cast<int32_t*>(w.partial.data())};
  if (tasks == 1) {  // the calling thread alone, as before threads existed
    if (small_m)
      run_small_m(g, 0, N, s0);
    else
      run_blocks(g, 0, M, 0, N, 0, k_blocks, s0, nullptr);
    return QGEMM_OK;
  }
  threaded_call tc{};
  tc.g = &g;
  tc.part = part;
  tc.a_pack = s0.a_pack;
  tc.row_sum = s0.row_sum;
  tc.neg_abs_sums = s0.neg_abs_sums;
  tc.partial = split_k ? s0.partial : nullptr;
  tc.a_stride = a_stride;
  tc.row_sum_stride = rs_stride / sizeof(int32_t);
  tc.neg_abs_stride = nas_stride / sizeof(int32_t);
  tc.partial_stride = partial_stride / sizeof(int32_t);
  tc.dots = part.k_parts > 1 ? static_cast<int32_t*>(w.k_split.data()) : nullptr;
  tc.ld_dot = ld_dot;
  tc.dots_stride = dots_stride / sizeof(int32_t);
  run_tasks(threads, tasks, &run_task, &tc);
  if (part.k_parts > 1) finish_k_split(tc);
  return QGEMM_OK;
}

}  // namespace qgemm::detail
