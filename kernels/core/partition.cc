// The cost model behind choose_partition (docs/threading.md explains it with numbers).
//
// Time is counted in multiply-adds of one core. A task of `rows` rows (rt row tiles) and ct
// column tiles over kp costs
//
//   compute  (rows + rt) * ct * NR * kp   every tile computes NR columns; each row of a tile
//                                         costs one row of MACs, and each tile pays about one
//                                         more row for loading its B panel, so thin edge tiles
//                                         cost what they do and splitting M below MR gains
//                                         nothing
//   pack A   kPackCost * rows * kp        each task packs (and sums) its own rows of A, so
//                                         splitting N repacks the same rows once per column
//                                         range
//   read B   kStreamCost * ceil(rows / MC) * ct * NR * kp
//                                         each block of MC rows streams the task's columns of B
//                                         from memory (or L3) once, so splitting M makes every
//                                         task read the same B again: what decides a decode
//                                         shape whose M is a few tiles (M = 16 on an 8-row
//                                         kernel), which is bound by reading B
//
// and the call takes as long as its slowest task. Among every pm x pn with pm <= row tiles,
// pn <= column tiles and pm * pn <= the threads the work allows, the cheapest wins (fewer tasks
// on a tie). Consequences: decode (M <= MR, or the gemv path) splits N only; a tall, narrow
// GEMM (resnet: M = 3136, N = 64) splits M, because splitting N would pack A twice; square
// ones split both when the tile counts make it even.
#include "core/partition.h"

#include <algorithm>

namespace qgemm::detail {
namespace {

// Packing one element of A (load, transpose into the panel, add to the row sum) costs about as
// much as this many multiply-adds in a tile.
constexpr double kPackCost = 8.0;

// Streaming one byte of B from L3 or memory (20-60 GB/s) costs about as much as this many
// multiply-adds of a core (200-250 G/s on AVX512-VNNI).
constexpr double kStreamCost = 4.0;

// A cut of one dimension into `parts` ranges, made up to `factor` times finer for a runner that
// hands tasks out one at a time (see choose_partition), each range keeping at least one tile and
// min_macs_per_task (by_work: the whole GEMM's multiply-adds / min_macs_per_task).
size_t finer_cut(size_t parts, size_t factor, size_t tiles, size_t by_work) {
  return std::max(parts, std::min({parts * factor, tiles, by_work}));
}

double task_cost(const gemm_kernel& k, size_t rows, size_t col_tiles, size_t kp) {
  const double row_tiles = static_cast<double>((rows + k.mr - 1) / k.mr);
  const double kpd = static_cast<double>(std::max<size_t>(kp, 1));
  const double row_blocks = static_cast<double>((rows + k.mc - 1) / k.mc);
  return (static_cast<double>(rows) + row_tiles) * static_cast<double>(col_tiles * k.nr) * kpd +
         kPackCost * static_cast<double>(rows) * kpd +
         kStreamCost * row_blocks * static_cast<double>(col_tiles * k.nr) * kpd;
}

}  // namespace

partition choose_partition(const gemm_kernel& k, size_t M, size_t N, size_t kp, size_t threads,
                           int64_t min_macs_per_task, bool dynamic) {
  partition p;
  p.small_m = k.gemv != nullptr && M <= k.gemv_max_m;
  if (threads <= 1 || M == 0 || N == 0) return p;
  // How many tasks the work is worth.
  const double macs = static_cast<double>(M) * static_cast<double>(N) *
                      static_cast<double>(std::max<size_t>(kp, 1));
  const double by_work = macs / static_cast<double>(std::max<int64_t>(min_macs_per_task, 1));
  const size_t max_tasks =
      by_work < static_cast<double>(threads) ? std::max<size_t>(static_cast<size_t>(by_work), 1)
                                             : threads;
  if (max_tasks <= 1) return p;

  const size_t row_tiles = (M + k.mr - 1) / k.mr, col_tiles = (N + k.nr - 1) / k.nr;
  const size_t k_blocks = (kp + k.kc - 1) / k.kc;
  if (row_tiles * col_tiles < max_tasks && k_blocks >= 2) {
    // Too few tiles for the threads: split K instead, each part over every tile.
    p.small_m = false;
    p.k_parts = std::min(k_blocks, max_tasks);
    return p;
  }
  if (p.small_m || row_tiles == 1) {
    // Decode streams B once; each task streams its columns' share and repacks only the few rows
    // of A. Handed out dynamically, the cut is 8 times finer, for the same reason as a cut of M
    // alone below: the caller's thread takes the ranges the late-waking one has not reached
    // (2 threads, passive, per-call times of llama7b_qkv_m1, whose 16.8 MB of B sit in L3,
    // 2000 calls, 3 alternating runs on Zen 5: median speedup over 1 thread 1.29-1.41 with one
    // range per thread -> 1.48-1.66; the M = 1 shapes whose B streams from memory stay at
    // 1.4-1.5x either way, as two threads read at most 1.2-1.35x what one reads here).
    p.pn = std::min(col_tiles, max_tasks);
    if (dynamic) p.pn = finer_cut(p.pn, 8, col_tiles, static_cast<size_t>(by_work));
    return p;
  }
  double best = task_cost(k, M, col_tiles, kp);
  for (size_t pm = 1; pm <= std::min(row_tiles, max_tasks); ++pm) {
    for (size_t pn = 1; pn <= std::min(col_tiles, max_tasks / pm); ++pn) {
      if (pm * pn == 1) continue;
      // The largest range holds ceil(tiles / parts) tiles (tile_range).
      const size_t rows = std::min(M, (row_tiles + pm - 1) / pm * k.mr);
      const size_t cts = (col_tiles + pn - 1) / pn;
      const double cost = task_cost(k, rows, cts, kp);
      if (cost < best || (cost == best && pm * pn < p.pm * p.pn)) {
        best = cost;
        p.pm = pm;
        p.pn = pn;
      }
    }
  }
  // A cut of M alone (tall GEMMs: resnet_conv3x3_56), handed out dynamically, is made 16 times
  // finer: with OMP_WAIT_POLICY=passive a sleeping thread needs some 20-60 us to wake on this
  // VM, and with one range per thread the caller's thread would then wait for the last one;
  // with several, it takes more of them meanwhile, and the finer they are, the closer both
  // threads end (2 threads on resnet, passive: about 1.65x -> 1.69x with 4 times as many
  // ranges; per-call times, 3000 calls, 3 alternating runs, 4 -> 16 times: mean 312-334 ->
  // 304-317 us, median 305-321 -> 298-302 us, against 510-520 us on one thread; 1.95x with
  // active waiting). Each range packs only its own rows, so nothing else costs more; each keeps
  // at least min_macs_per_task and one row tile.
  if (dynamic && p.pn == 1 && p.pm >= 2)
    p.pm = finer_cut(p.pm, 16, row_tiles, static_cast<size_t>(by_work));
  return p;
}

}  // namespace qgemm::detail
