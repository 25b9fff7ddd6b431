// The one driver of every kernel: BLIS's loops, reordered for prepacked weights.
//
//   for ic in M, step MC:            pack rows ic..ic+MC of op(A), all of K, + row sums
//     for jc in N, step NC:
//       for pc in K, step KC:        (one pass when K <= KC)
//         for jr in NC, step NR:     B panel (KC x NR): meant to stay in L1 across the ir loop
//           for ir in MC, step MR:   A block (MC x KC): meant to stay in L2 across the jr loop
//             tile(MR x NR)
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

#include "core/epilogue.h"
#include "core/error.h"
#include "pack/pack_panels.h"

namespace qgemm::detail {
namespace {

struct workspace {
  aligned_buffer a_pack, row_sum, partial, neg_abs_sums;
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

qgemm_status gemm_packed(size_t M, const qgemm_operand& a, const qgemm_packed_b& b,
                         const qgemm_epilogue& e, void* C, size_t ldc) {
  const size_t N = static_cast<size_t>(b.N), K = static_cast<size_t>(b.K);
  if (M == 0 || N == 0) return QGEMM_OK;
  const gemm_kernel& k = *b.kernel;
  const size_t kp = b.kp;
  const size_t mc_max = std::min(round_up(M, k.mr), k.mc);
  const size_t a_elem = packed_elem_bytes(k.a_elem), b_elem = packed_elem_bytes(k.b_elem);
  const bool small_m = k.gemv != nullptr && M <= k.gemv_max_m;
  const bool split_k = kp > k.kc && !small_m;  // the small-M path sums all of K at once
  const size_t k_blocks = std::max<size_t>((kp + k.kc - 1) / k.kc, 1);
  const bool abs_sign = k.a_elem == packed_elem::s8_abs_sign;

  // Reserve the workspace before anything is written, so that running out of memory leaves C
  // untouched. Sizes cannot overflow: mc_max <= MC and kp was bounded when B was packed.
  workspace& w = thread_workspace();
  if (!w.a_pack.reserve(mc_max * std::max<size_t>(kp, 1) * a_elem) ||
      !w.row_sum.reserve(mc_max * sizeof(int32_t)) ||
      (abs_sign && !w.neg_abs_sums.reserve(mc_max * k_blocks * sizeof(int32_t))) ||
      (split_k && !w.partial.reserve(mc_max * k.nc * sizeof(int32_t))))
    return fail(QGEMM_ERROR_OUT_OF_MEMORY, "cannot allocate the GEMM workspace (MC = %zu, K = %zu)",
                mc_max, K);

  const epilogue_plan ep = make_plan(a, b, k, e);
  if (small_m) {
    // The workspace reserved above holds at least M rows of kp elements and M row sums.
    gemv_args g{};
    g.m = M;
    g.n = N;
    g.k = K;
    g.kp = kp;
    g.a.src = a.data;
    g.a.ld = static_cast<size_t>(a.ld);
    g.a.k_contiguous = a.trans == QGEMM_NO_TRANS;
    g.a.type = a.type;
    g.a.rows = M;
    g.a.k = K;
    g.a.dst = w.a_pack.data();
    g.a.sums = static_cast<int32_t*>(w.row_sum.data());
    g.a.neg_abs_sums = abs_sign ? static_cast<int32_t*>(w.neg_abs_sums.data()) : nullptr;
    g.b_panels = b.panels;
    g.ep = &ep;
    g.c = C;
    g.ldc = ldc;
    k.gemv(g);
    return QGEMM_OK;
  }
  const size_t out_bytes = output_elem_bytes(e.output);
  auto* a_pack = static_cast<char*>(w.a_pack.data());
  auto* row_sum = static_cast<int32_t*>(w.row_sum.data());
  auto* partial = static_cast<int32_t*>(w.partial.data());
  const auto* b_panels = static_cast<const char*>(b.panels);
  auto* neg_abs_sums = abs_sign ? static_cast<int32_t*>(w.neg_abs_sums.data()) : nullptr;

  pack_args pa{};
  pa.src = a.data;
  pa.ld = static_cast<size_t>(a.ld);
  pa.k_contiguous = a.trans == QGEMM_NO_TRANS;  // op(A) = A: row m is k-contiguous
  pa.type = a.type;
  pa.k = K;
  pa.dst = a_pack;
  pa.sums = row_sum;
  pa.neg_abs_sums = neg_abs_sums;

  tile_args t{};
  t.ep = &ep;
  t.ld_partial = k.nc;
  t.ldc = ldc;

  for (size_t ic = 0; ic < M; ic += k.mc) {
    const size_t mc = std::min(k.mc, M - ic);
    pa.r0 = ic;
    pa.rows = mc;
    k.pack_a(pa);
    // One tile over one K block. At least one K pass runs, so that K == 0 still applies the
    // epilogue to zero sums.
    auto run_tile = [&](size_t jc, size_t nc, size_t pc, size_t jr, size_t ir) {
      const size_t kc = std::min(k.kc, kp - pc);
      t.k_groups = kc / k.kr;
      t.first_k = pc == 0;
      t.last_k = pc + kc >= kp;
      t.b = b_panels + ((jc + jr) / k.nr * kp + pc) * k.nr * b_elem;
      t.n = std::min(k.nr, nc - jr);
      t.col = jc + jr;
      t.a = a_pack + (ir / k.mr * kp + pc) * k.mr * a_elem;
      t.m = std::min(k.mr, mc - ir);
      t.row = ic + ir;
      // Unsplit K never reserves (or reads) the partial sums: no arithmetic on a null pointer.
      t.partial = split_k ? partial + ir * k.nc + jr : nullptr;
      t.row_sum = row_sum + ir;
      t.neg_abs_sums =
          abs_sign ? neg_abs_sums + ((ir / k.mr) * k_blocks + pc / k.kc) * k.mr : nullptr;
      t.c = static_cast<char*>(C) + (t.row * ldc + t.col) * out_bytes;
      k.tile(t);
    };
    for (size_t jc = 0; jc < N; jc += k.nc) {
      const size_t nc = std::min(k.nc, N - jc);
      if (mc <= k.mr) {
        // A single A panel (small M, LLM decode): nothing to reuse a B block for, so walk each
        // B panel through all of K before the next: one contiguous stream per panel.
        for (size_t jr = 0; jr < nc; jr += k.nr)
          for (size_t pc = 0; pc == 0 || pc < kp; pc += k.kc) run_tile(jc, nc, pc, jr, 0);
      } else {
        for (size_t pc = 0; pc == 0 || pc < kp; pc += k.kc)
          for (size_t jr = 0; jr < nc; jr += k.nr)
            for (size_t ir = 0; ir < mc; ir += k.mr) run_tile(jc, nc, pc, jr, ir);
      }
    }
  }
  return QGEMM_OK;
}

}  // namespace qgemm::detail
