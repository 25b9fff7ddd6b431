// Running a call's tasks on threads: OpenMP, or the caller's own pool (qgemm_context's
// parallel_for), or the calling thread alone. The only place that knows about OpenMP.
#ifndef QGEMM_KERNELS_CORE_PARALLEL_H
#define QGEMM_KERNELS_CORE_PARALLEL_H

#include <cstddef>

#include "qgemm/qgemm.h"

namespace qgemm::detail {

// What a call's context resolves to.
struct thread_plan {
  size_t threads = 1;                         // how many tasks may run at once
  qgemm_parallel_for_fn parallel_for = nullptr;  // the caller's pool, or null for OpenMP
  void* pool = nullptr;
  int64_t min_macs_per_task = 0;
};

// The threads a call with context `ctx` (null: the default context) may use: 1 for
// num_threads = 1, and for an OpenMP call made inside an OpenMP parallel region (or a build
// without OpenMP); num_threads, or qgemm_default_num_threads() for 0, otherwise.
thread_plan resolve_threads(const qgemm_context* ctx);

// Calls fn(arg, i) for every i in [0, n_tasks), through the plan's pool or OpenMP, and returns
// when all have returned. n_tasks == 1 runs on the calling thread.
void run_tasks(const thread_plan& plan, size_t n_tasks, qgemm_task_fn fn, void* arg);

}  // namespace qgemm::detail

#endif  // QGEMM_KERNELS_CORE_PARALLEL_H
