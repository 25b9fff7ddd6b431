// How one GEMM is cut into tasks for threads: the cost model (see docs/threading.md).
//
// The output is a grid of MR x NR tiles. A task is a rectangle of whole tiles, all of K
// (pm x pn rectangles, row and column ranges as equal in tiles as they divide), or, when the
// grid has fewer tiles than there are threads and K spans several KC blocks, a range of whole
// K blocks over every tile (k_parts tasks whose int32 sums are added afterwards). Which cut is
// chosen changes only the speed: every cut computes every output element from the same exact
// int32 sum and the same epilogue.
#ifndef QGEMM_KERNELS_CORE_PARTITION_H
#define QGEMM_KERNELS_CORE_PARTITION_H

#include <cstddef>
#include <cstdint>

#include "core/kernel.h"

namespace qgemm::detail {

// Below this many multiply-adds per task another thread costs more (waking it, splitting the
// packing) than it saves: about 5-10 us of one core's work.
inline constexpr int64_t kDefaultMinMacsPerTask = int64_t{1} << 20;

struct partition {
  size_t pm = 1, pn = 1;  // row ranges x column ranges of tiles (pm * pn tasks)
  size_t k_parts = 1;     // > 1: that many tasks, each over a range of K blocks and every tile
  bool small_m = false;   // the kernel's small-M path (gemv) runs each column range
  size_t tasks() const { return k_parts > 1 ? k_parts : pm * pn; }
};

// The cut of an M x N x K GEMM (kp = K rounded to KR) on kernel k for `threads` threads, no
// task of fewer than min_macs_per_task multiply-adds unless the whole GEMM is one task. At most
// one task per thread, except with `dynamic` (the runner hands tasks out one at a time as
// threads come free): then a cut of M alone is made up to 16 times finer, and a cut of N
// alone for small M (decode) up to 8 times.
partition choose_partition(const gemm_kernel& k, size_t M, size_t N, size_t kp, size_t threads,
                           int64_t min_macs_per_task, bool dynamic = false);

// Range i of `parts` near-equal ranges of `tiles` tiles of `width`, clipped to `total`:
// [*begin, *end).
inline void tile_range(size_t total, size_t width, size_t tiles, size_t parts, size_t i,
                       size_t* begin, size_t* end) {
  const size_t t0 = tiles * i / parts, t1 = tiles * (i + 1) / parts;
  *begin = t0 * width;
  *end = t1 * width < total ? t1 * width : total;
}

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_PARTITION_H
