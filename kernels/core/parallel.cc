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
constexpr long kCallerSpinLimit = 1L << 16;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
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
  // barrier before the others sleeps there, and waking it again costs about as much as starting
  // a sleeping thread: some 20 us each on this project's VMs (an empty 2-thread region: 40 us
  // passive, under 1 us active). The caller's thread is the one that returns, so it should
  // never be the one that sleeps: once the tasks run out it waits, spinning, until every other
  // thread of the team has finished its last task (and is entering the barrier), and arrives
  // last. It spins at most kCallerSpinLimit pauses (about 0.1-1 ms); past that it sleeps in
  // the barrier like the others, so a thread descheduled by an oversubscribed machine costs
  // at most that much spinning.
  const int team = static_cast<int>(std::min(n_tasks, std::max<size_t>(plan.threads, 1)));
  std::atomic<size_t> next{0};
  std::atomic<int> finished{0};
#pragma omp parallel num_threads(team)
  {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < n_tasks;
         i = next.fetch_add(1, std::memory_order_relaxed))
      fn(arg, i);
    if (omp_get_thread_num() != 0) {
      finished.fetch_add(1, std::memory_order_release);
    } else {
      const int others = omp_get_num_threads() - 1;
      for (long spin = 0; spin < kCallerSpinLimit &&
                          finished.load(std::memory_order_acquire) < others;
           ++spin)
        cpu_relax();
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
