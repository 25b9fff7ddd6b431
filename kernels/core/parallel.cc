// See parallel.h. Built with OpenMP when CMake finds it (QGEMM_HAVE_OPENMP); without it a call
// runs on the calling thread unless the caller supplies a pool.
#include "core/parallel.h"

#include <algorithm>
#include <atomic>
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
  // Tasks are taken one at a time from a shared counter, so the thread that starts first (the
  // caller's, while OpenMP wakes the others under OMP_WAIT_POLICY=passive) takes more of them;
  // a dynamic cut of M makes more tasks than threads for that (choose_partition).
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
  const int team = static_cast<int>(std::min(n_tasks, std::max<size_t>(plan.threads, 1)));
  std::atomic<size_t> next{0};
  std::atomic<int> out_of_tasks{0}, leaving{0};
#pragma omp parallel num_threads(team)
  {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n_tasks;
         i = next.fetch_add(1, std::memory_order_relaxed))
      fn(arg, i);
    const int threads = omp_get_num_threads();
    out_of_tasks.fetch_add(1, std::memory_order_acq_rel);
    if (omp_get_thread_num() != 0) {
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
