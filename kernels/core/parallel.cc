// See parallel.h. Built with OpenMP when CMake finds it (QGEMM_HAVE_OPENMP); without it a call
// runs on the calling thread unless the caller supplies a pool.
#include "core/parallel.h"

#include <algorithm>
#include <thread>

#include "core/partition.h"

#if defined(QGEMM_HAVE_OPENMP)
#include <omp.h>
#endif

namespace qgemm::detail {

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
  const long n = static_cast<long>(n_tasks);
  // More tasks than threads (a dynamic cut of M, see choose_partition in partition.cc): taken
  // one at a time, so the thread that starts first (the caller's, while OpenMP wakes the others
  // with OMP_WAIT_POLICY=passive) takes more of them.
  const int team = static_cast<int>(std::min(n_tasks, std::max<size_t>(plan.threads, 1)));
#pragma omp parallel for num_threads(team) schedule(dynamic, 1)
  for (long i = 0; i < n; ++i) fn(arg, static_cast<size_t>(i));
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
