// See parallel.h. Built with OpenMP when CMake finds it (QGEMM_HAVE_OPENMP); without it a call
// runs on the calling thread unless the caller supplies a pool.
#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "core/partition.h"

#if defined(QGEMM_HAVE_OPENMP)
#include <omp.h>
#endif

namespace qgemm::detail {
namespace {

#if defined(QGEMM_HAVE_OPENMP)
constexpr long kEndSpinLimit = 1L << 16;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until done() holds or kEndSpinLimit pauses have passed (see run_tasks).
template <typename Done>
void spin_until(Done done) {
  for (long spin = 0; spin < kEndSpinLimit && !done(); ++spin) cpu_relax();
}

// One thread's share of a call's tasks, [lo, hi), in one word (lo in the low half) on a cache
// line of its own. Its thread takes tasks from the front; a thread that has run out of its own
// takes them from the back (run_tasks).
struct alignas(64) task_range {
  std::atomic<uint64_t> lo_hi{0};
};

// Takes the first (front) or last task of r into *task; false when r is empty.
bool take_task(task_range& r, bool front, size_t* task) {
  uint64_t cur = r.lo_hi.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t lo = cur & 0xffffffffu, hi = cur >> 32;
    if (lo >= hi) return false;
    const uint64_t next = front ? cur + 1 : ((hi - 1) << 32) | lo;
    if (r.lo_hi.compare_exchange_weak(cur, next, std::memory_order_relaxed)) {
      *task = static_cast<size_t>(front ? lo : hi - 1);
      return true;
    }
  }
}

// The calling thread's task ranges, grown on demand and kept, so that calls do not allocate.
task_range* thread_task_ranges(size_t count) {
  thread_local std::unique_ptr<task_range[]> ranges;
  thread_local size_t capacity = 0;
  if (count > capacity) {
    ranges.reset(new task_range[count]);
    capacity = count;
  }
  return ranges.get();
}
#endif

}  // namespace

thread_plan resolve_threads(const qgemm_context* ctx) {
  thread_plan plan;
  const qgemm_context c = ctx ? *ctx : qgemm_context_default();
  plan.parallel_for = c.parallel_for;
  plan.pool = c.pool;
  plan.min_macs_per_task = c.min_macs_per_task > 0 ? c.min_macs_per_task : kDefaultMinMacsPerTask;
  if (c.parallel_for == nullptr) {
#if defined(QGEMM_HAVE_OPENMP)
    // Nested: the enclosing region already uses the cores; more threads would oversubscribe.
    if (omp_in_parallel()) return plan;
#else
    return plan;  // nobody to run a second task
#endif
  }
  plan.threads = c.num_threads > 0 ? static_cast<size_t>(c.num_threads)
                                   : static_cast<size_t>(qgemm_default_num_threads());
  return plan;
}

void run_tasks(const thread_plan& plan, size_t n_tasks, qgemm_task_fn fn, void* arg) {
  if (n_tasks == 1) {
    fn(arg, 0);
    return;
  }
  if (plan.parallel_for != nullptr) {
    plan.parallel_for(plan.pool, n_tasks, fn, arg);
    return;
  }
#if defined(QGEMM_HAVE_OPENMP)
  // Each thread owns a contiguous range of the tasks, the same one in every call of the same
  // shape, and takes its tasks one at a time from the front; once its range is empty it takes
  // the others' from their backs. So the thread that starts first (the caller's, while OpenMP
  // wakes the others under OMP_WAIT_POLICY=passive) takes more of them, the two meet wherever
  // the late one has got to, and the ranges are made finer than the threads for that
  // (choose_partition). Owning a range, rather than taking the next task from one shared counter,
  // keeps each thread on the same rows of A and C (and columns of B) from call to call, where
  // its own caches hold them: with the counter, calls that follow one another handed the same
  // rows to either thread at random, and a thread wrote C lines that the other's cache held.
  // 2 threads, passive, per-call medians of 2000-3000 back-to-back calls, alternating runs on
  // Zen 5 (2 vCPUs), two sessions: resnet_conv3x3_56 128.6-129.1 -> 122.0-124.0 us and
  // 122.2-123.9 -> 119.3-120.2 (one thread 222-228); llama7b_up_m1 405-410 -> 313-323 and
  // 484-492 -> 474-484 (one thread 758-792); llama7b_qkv_m1 95.7-97.5 -> 82.3-86.1 and equal;
  // sq1024, bert_attn_out, llama7b_qkv_m128 equal within the noise (docs/threading.md).
  //
  // The end of the region. Under the passive policy a thread that reaches the region's closing
  // barrier before the others sleeps there, and waking it costs about as much as starting a
  // sleeping thread: 5-38 us on this project's VMs (a worker's arrival in a region, 10th-90th
  // percentile; an idle vCPU halts at once). The caller's thread must not be the one that
  // sleeps, since it returns; but a worker that sleeps there is no better: libgomp's next
  // region waits for every worker to be back in its pool, so a worker woken late at the end of
  // one call delays the next call's start, and the caller sleeps in that wait too (back-to-back
  // calls, 2 threads: the caller reached the next region 44-57 us late in 40% of the calls of
  // one run). So every thread, once the tasks run out, waits spinning until all have run out
  // (at most one task's time), then the workers enter the barrier and the caller follows right
  // behind them, before anyone has slept long enough to halt its CPU.
  // Per-call times, 2 threads, OMP_WAIT_POLICY=passive, 2000-3000 back-to-back calls, 2-3
  // alternating runs, Zen 5 (median, then 90th percentile), with only the caller spinning ->
  // with this: resnet_conv3x3_56 146-158 -> 140-141 us (p90 175-188 -> 150-159), against 250 on
  // one thread; llama7b_qkv_m1 125-130 -> 105-111; bert_attn_out 116-128 -> 102-103; sq1024
  // 1258-1265 -> 1235-1241.
  // Each spin is bounded by kEndSpinLimit pauses (about 0.1-1 ms); past that the thread goes
  // into the barrier and sleeps like any other, so a thread descheduled by an oversubscribed
  // machine costs at most that much spinning. The barrier, not the spins, orders the results.
  //
  // Tasks fit the ranges' 32-bit halves: choose_partition makes at most 16 per thread, and
  // qgemm_context allows at most 4096 threads.
  if (n_tasks > 0xffffffffu) {
    for (size_t i = 0; i < n_tasks; ++i) fn(arg, i);
    return;
  }
  const int team = static_cast<int>(std::min(n_tasks, std::max<size_t>(plan.threads, 1)));
  task_range* const ranges = thread_task_ranges(static_cast<size_t>(team));
  for (int t = 0; t < team; ++t) {
    size_t lo = 0, hi = 0;
    tile_range(n_tasks, 1, n_tasks, static_cast<size_t>(team), static_cast<size_t>(t), &lo, &hi);
    ranges[t].lo_hi.store(uint64_t{lo} | uint64_t{hi} << 32, std::memory_order_relaxed);
  }
  std::atomic<int> out_of_tasks{0}, leaving{0};
#pragma omp parallel num_threads(team)
  {
    // OpenMP may give fewer threads than asked: the ranges of those it did not start are taken
    // from their backs like any other.
    const int me = omp_get_thread_num();
    size_t i = 0;
    while (take_task(ranges[me], /*front=*/true, &i)) fn(arg, i);
    for (int other = 1; other < team; ++other) {
      task_range& r = ranges[(me + other) % team];
      while (take_task(r, /*front=*/false, &i)) fn(arg, i);
    }
    const int threads = omp_get_num_threads();
    out_of_tasks.fetch_add(1, std::memory_order_acq_rel);
    if (me != 0) {
      spin_until([&] { return out_of_tasks.load(std::memory_order_acquire) >= threads; });
      leaving.fetch_add(1, std::memory_order_release);
    } else {
      spin_until([&] { return leaving.load(std::memory_order_acquire) >= threads - 1; });
    }
  }
#else
  for (size_t i = 0; i < n_tasks; ++i) fn(arg, i);
#endif
}

}  // namespace qgemm::detail

extern "C" int32_t qgemm_default_num_threads(void) {
#if defined(QGEMM_HAVE_OPENMP)
  return static_cast<int32_t>(omp_get_max_threads());
#else
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int32_t>(n) : 1;
#endif
}
