// spinning_pool: a thread pool for qgemm_context.parallel_for (qgemm.h) whose workers spin for a
// while after each call before they sleep, as inference runtimes' own pools do, so that GEMMs
// that follow each other (the layers of a network) do not wait for a sleeping thread to wake.
// Header-only and usable as is; examples/thread_pool.cpp shows it in use, and qgemm_bench times
// it (gemm/<shape>/<isa>/s32/t<N>/pool; docs/threading.md, section 4).
//
// One call runs at a time (concurrent callers take turns). A call hands the job to every worker,
// runs tasks on the calling thread too (tasks are claimed from an atomic counter), and returns
// when every worker has let go of the job.
#ifndef QGEMM_EXAMPLES_SPINNING_POOL_H_
#define QGEMM_EXAMPLES_SPINNING_POOL_H_

#include <qgemm/qgemm.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

class spinning_pool {
 public:
  // `workers` threads besides the caller's, each spinning up to `spin` for the next call.
  explicit spinning_pool(size_t workers,
                         std::chrono::microseconds spin = std::chrono::microseconds(2000))
      : slots_(workers), spin_(spin) {
    for (size_t w = 0; w < workers; ++w) threads_.emplace_back([this, w] { serve(slots_[w]); });
  }
  ~spinning_pool() {
    for (slot& s : slots_) post(s, &stop_);
    for (std::thread& t : threads_) t.join();
  }
  spinning_pool(const spinning_pool&) = delete;
  spinning_pool& operator=(const spinning_pool&) = delete;

  int32_t threads() const { return static_cast<int32_t>(threads_.size() + 1); }

  // qgemm_parallel_for_fn: runs task(arg, i) once for every i in [0, n), on the caller's thread
  // and the workers, and returns when all have returned.
  static void parallel_for(void* pool, size_t n, qgemm_task_fn task, void* arg) {
    static_cast<spinning_pool*>(pool)->run(n, task, arg);
  }

 private:
  struct job {
    qgemm_task_fn task = nullptr;
    void* arg = nullptr;
    size_t n = 0;
    std::atomic<size_t> next{0};
    std::atomic<size_t> busy_workers{0};  // workers that may still touch the job
  };
  struct alignas(64) slot {  // one per worker
    std::atomic<job*> posted{nullptr};
    std::atomic<bool> sleeping{false};
    std::mutex mu;
    std::condition_variable wake;
  };

  static void take_tasks(job& j) {
    for (size_t i = j.next.fetch_add(1); i < j.n; i = j.next.fetch_add(1)) j.task(j.arg, i);
  }
  // Hands j to a worker; wakes it if it sleeps. (The worker sets `sleeping` before it looks at
  // `posted` a last time, and this looks at `sleeping` after setting `posted`, both sequentially
  // consistent: one of the two sees the other, so no post is missed.)
  static void post(slot& s, job* j) {
    s.posted.store(j);
    if (s.sleeping.load()) {
      std::lock_guard<std::mutex> lock(s.mu);
      s.wake.notify_one();
    }
  }
  void run(size_t n, qgemm_task_fn task, void* arg) {
    std::lock_guard<std::mutex> one_call_at_a_time(run_mu_);
    job j;
    j.task = task;
    j.arg = arg;
    j.n = n;
    j.busy_workers.store(slots_.size());
    for (slot& s : slots_) post(s, &j);
    take_tasks(j);
    // j lives on this stack: return only when no worker can touch it any more.
    while (j.busy_workers.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }
  void serve(slot& s) {
    for (;;) {
      job* j = nullptr;
      const auto until = std::chrono::steady_clock::now() + spin_;
      while ((j = s.posted.load(std::memory_order_acquire)) == nullptr &&
             std::chrono::steady_clock::now() < until) {
      }
      if (j == nullptr) {
        std::unique_lock<std::mutex> lock(s.mu);
        s.sleeping.store(true);
        s.wake.wait(lock, [&] { return (j = s.posted.load()) != nullptr; });
        s.sleeping.store(false);
      }
      s.posted.store(nullptr);  // before busy_workers drops: the next post comes after it
      if (j == &stop_) return;
      take_tasks(*j);
      j->busy_workers.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<slot> slots_;
  std::vector<std::thread> threads_;
  std::chrono::microseconds spin_;
  std::mutex run_mu_;
  job stop_;
};

#endif  // QGEMM_EXAMPLES_SPINNING_POOL_H_
