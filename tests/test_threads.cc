// Threads inside one GEMM (docs/threading.md): every thread count, through OpenMP and through a
// caller's pool (the parallel_for hook), gives the bytes that one thread gives, on every kernel;
// a call from inside an OpenMP parallel region runs on the calling thread; a rejected threaded
// call writes nothing.
//
// Each check packs B once for the kernel, runs the GEMM with num_threads = 1, checks that result
// against the scalar reference, then runs it with every thread count from 2 to max(4, cores),
// through OpenMP and through the pool, with the library's default task size and with
// min_macs_per_task = 1 (which makes the cost model cut even tiny GEMMs, so that the edge
// shapes exercise every cut: N ranges, M x N rectangles, K ranges), and compares bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#if defined(QGEMM_TEST_OPENMP)
#include <omp.h>
#endif

#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/partition.h"
#include "gemm_problem.h"
#include "qgemm/qgemm.hpp"

using namespace qgemm_test;

namespace {

// A small fixed pool of std::threads: what an inference runtime would hand to qgemm. The
// calling thread takes tasks too; a task index is claimed once with an atomic counter.
class thread_pool {
 public:
  explicit thread_pool(size_t workers) {
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  static void parallel_for(void* pool, size_t n_tasks, qgemm_task_fn fn, void* arg) {
    static_cast<thread_pool*>(pool)->run(n_tasks, fn, arg);
  }

  // Statistics for the contract checks.
  size_t calls() const { return calls_; }
  size_t max_tasks() const { return max_tasks_; }
  size_t min_tasks() const { return min_tasks_; }
  bool each_task_once() const { return each_once_; }
  std::set<std::thread::id> runners() const {
    std::lock_guard<std::mutex> lock(mu_);
    return runners_;
  }

 private:
  void run(size_t n, qgemm_task_fn fn, void* arg) {
    std::vector<std::atomic<int>> seen(n);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      max_tasks_ = std::max(max_tasks_, n);
      min_tasks_ = std::min(min_tasks_, n);
      fn_ = fn;
      arg_ = arg;
      n_ = n;
      seen_ = seen.data();
      next_ = 0;
      done_ = 0;
      ++generation_;
    }
    wake_.notify_all();
    take_tasks();
    std::unique_lock<std::mutex> lock(mu_);
    finished_.wait(lock, [&] { return done_ == n_; });
    for (auto& s : seen) each_once_ = each_once_ && s.load() == 1;
    seen_ = nullptr;
  }
  void take_tasks() {
    for (;;) {
      const size_t i = next_.fetch_add(1);
      if (i >= n_) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        runners_.insert(std::this_thread::get_id());
      }
      seen_[i].fetch_add(1);
      fn_(arg_, i);
      std::lock_guard<std::mutex> lock(mu_);
      if (++done_ == n_) finished_.notify_all();
    }
  }
  void work() {
    uint64_t seen_generation = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen_generation; });
        if (stop_) return;
        seen_generation = generation_;
      }
      take_tasks();
    }
  }

  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable wake_, finished_;
  bool stop_ = false;
  uint64_t generation_ = 0;
  qgemm_task_fn fn_ = nullptr;
  void* arg_ = nullptr;
  size_t n_ = 0, done_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<int>* seen_ = nullptr;
  size_t calls_ = 0, max_tasks_ = 0, min_tasks_ = SIZE_MAX;
  bool each_once_ = true;
  std::set<std::thread::id> runners_;
};

size_t max_threads() {
  return std::max<size_t>(4, std::thread::hardware_concurrency());
}

// The pool every test shares: max_threads() - 1 workers plus the calling thread.
thread_pool& shared_pool() {
  static thread_pool pool(max_threads() - 1);
  return pool;
}

qgemm_context context(int threads, bool pool, int64_t min_macs) {
  qgemm_context c = qgemm_context_default();
  c.num_threads = threads;
  c.min_macs_per_task = min_macs;
  if (pool) {
    c.parallel_for = &thread_pool::parallel_for;
    c.pool = &shared_pool();
  }
  return c;
}

// Runs p on `isa` with one thread (checked against the reference) and with every other thread
// count through both runtimes; "" or the first difference. *runs counts the threaded runs.
std::string check_threads(const gemm_problem& p, qgemm_isa isa, int* runs) {
  const gemm_case& c = p.spec();
  const std::string where = std::string(qgemm_isa_name(isa)) + " " + c.describe();
  qgemm_packed_b* packed = nullptr;
  if (qgemm_pack_b_for_isa(isa, c.K, c.N, &p.b(), &packed) != QGEMM_OK)
    return where + ": pack failed: " + qgemm_last_error();
  std::string diff;
  std::vector<uint8_t> one = p.fresh_output();
  const qgemm_context single = context(1, false, 0);
  if (qgemm_gemm_packed_ctx(&single, c.M, c.N, c.K, &p.a(), c.b_type, packed, &p.epilogue(),
                            p.out(one), p.ldc()) != QGEMM_OK)
    diff = where + ": 1 thread failed: " + qgemm_last_error();
  else if (one != p.reference())
    diff = where + ": 1 thread differs from the reference";
  for (int threads = 2; diff.empty() && threads <= static_cast<int>(max_threads()); ++threads)
    for (bool pool : {false, true})
      for (int64_t min_macs : {int64_t{0}, int64_t{1}}) {
        if (!diff.empty()) break;
        const qgemm_context ctx = context(threads, pool, min_macs);
        std::vector<uint8_t> out = p.fresh_output();
        const qgemm_status s = qgemm_gemm_packed_ctx(&ctx, c.M, c.N, c.K, &p.a(), c.b_type, packed,
                                                     &p.epilogue(), p.out(out), p.ldc());
        const std::string how = where + ", " + std::to_string(threads) + " threads via " +
                                (pool ? "the pool" : "OpenMP") +
                                (min_macs ? ", every cut allowed" : "");
        if (s != QGEMM_OK) {
          diff = how + ": failed: " + qgemm_last_error();
        } else if (out != one) {
          size_t i = 0;
          while (out[i] == one[i]) ++i;
          diff = how + ": byte " + std::to_string(i) + " differs from 1 thread";
        } else {
          ++*runs;
        }
      }
  qgemm_packed_b_destroy(packed);
  return diff;
}

struct named_shape {
  std::string name;
  int64_t M, N, K;
};

// The shapes of shapes.csv (every class: m1, m16, m128, square, bert, resnet, tiny, odd),
// scaled so that the slowest kernel (scalar) checks each in well under a second: the largest
// dimension other than M is halved while M N K > budget, then M if still needed. M is kept
// whenever possible since it selects the class (decode, small batch, large).
std::vector<named_shape> scaled_csv_shapes(double budget) {
  std::vector<named_shape> out;
  std::ifstream in(QGEMM_TEST_SHAPES_CSV);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string group, name, m, n, k;
    std::getline(ss, group, ',');
    std::getline(ss, name, ',');
    std::getline(ss, m, ',');
    std::getline(ss, n, ',');
    std::getline(ss, k, ',');
    named_shape s{name, std::stoll(m), std::stoll(n), std::stoll(k)};
    while (static_cast<double>(s.M) * s.N * s.K > budget) {
      if (s.N >= s.K && s.N > 64) s.N = (s.N + 1) / 2;
      else if (s.K > 64) s.K = (s.K + 1) / 2;
      else s.M = (s.M + 1) / 2;
    }
    out.push_back(s);
  }
  return out;
}

class ThreadsOnKernel : public testing::TestWithParam<qgemm_isa> {};

std::string isa_param_name(const testing::TestParamInfo<qgemm_isa>& info) {
  return qgemm_isa_name(info.param);
}

// Every class of shapes.csv, three outputs (int32, requantized int8, float).
TEST_P(ThreadsOnKernel, ShapesCsvBitIdenticalForEveryThreadCount) {
  const qgemm_isa isa = GetParam();
  const double budget = isa == QGEMM_ISA_SCALAR ? 1 << 22 : 1 << 24;
  const std::vector<named_shape> shapes = scaled_csv_shapes(budget);
  ASSERT_GE(shapes.size(), 16u) << "cannot read " << QGEMM_TEST_SHAPES_CSV;
  int runs = 0;
  uint32_t seed = 11;
  for (const named_shape& s : shapes) {
    for (out_kind o : {out_kind::s32, out_kind::requant_float_s8, out_kind::f32}) {
      gemm_case g;
      g.M = s.M;
      g.N = s.N;
      g.K = s.K;
      g.out = o;
      g.seed = ++seed;
      g.zb_per_column = o == out_kind::f32;
      g.za_per_row = o == out_kind::requant_float_s8;
      const gemm_problem p(g);
      ASSERT_EQ(check_threads(p, isa, &runs), "") << s.name;
    }
  }
  EXPECT_GE(runs, static_cast<int>(shapes.size()) * 3 * 3 * 4);
}

// Shapes that cross every block of the kernel (MC, NC, KC, 2 KC), edge shapes around its tile,
// and outputs of fewer tiles than threads with long K (the K split), each with a rotating
// combination of types, transposes, zero-point modes and outputs.
TEST_P(ThreadsOnKernel, EdgeAndBlockShapesBitIdenticalForEveryThreadCount) {
  const qgemm_isa isa = GetParam();
  qgemm_kernel_info k{};
  ASSERT_EQ(qgemm_get_kernel_info(isa, &k), QGEMM_OK);
  std::vector<std::array<int64_t, 3>> shapes = block_crossing_shapes(k);
  const int64_t mr = k.mr, nr = k.nr, kc = k.kc;
  for (int64_t M : {int64_t{1}, mr - 1, mr, mr + 1, 2 * mr + 1, 4 * mr + 3})
    for (int64_t N : {int64_t{1}, nr + 1, 3 * nr + 5, 9 * nr - 1})
      shapes.push_back({std::max<int64_t>(M, 1), N, 29});
  // Fewer output tiles than threads, K over several KC blocks: K is split.
  shapes.push_back({1, 1, 2 * kc + 5});
  shapes.push_back({mr, nr, 3 * kc});
  shapes.push_back({mr + 1, 3, kc + 1});
  shapes.push_back({2, nr + 2, 4 * kc + 7});
  shapes.push_back({0, 5, 7});
  shapes.push_back({4, 0, 7});
  shapes.push_back({3, 5, 0});
  const std::vector<combo> combos = all_combos(true);
  int runs = 0;
  uint32_t n = 0;
  for (const auto& s : shapes) {
    gemm_case g = case_for(combos[(n * 97u + 5u) % combos.size()]);
    g.M = s[0];
    g.N = s[1];
    g.K = s[2];
    g.seed = ++n;
    g.ld_pad = n % 3;
    g.misalign = n % 4;
    g.clamp = n % 5 == 1;
    const gemm_problem p(g);
    ASSERT_EQ(check_threads(p, isa, &runs), "");
  }
  EXPECT_GT(runs, 0);
}

// Every combination of output, types, transposes and zero-point modes on one shape that every
// cut splits (several row and column tiles, K over two KC blocks).
TEST_P(ThreadsOnKernel, EveryCombinationBitIdentical) {
  const qgemm_isa isa = GetParam();
  qgemm_kernel_info k{};
  ASSERT_EQ(qgemm_get_kernel_info(isa, &k), QGEMM_OK);
  int runs = 0;
  uint32_t n = 0;
  for (const combo& c : all_combos(true)) {
    gemm_case g = case_for(c);
    // Alternate a grid of 2 x 3 tiles over K past KC with a single tile over K past 2 KC.
    const bool one_tile = ++n % 2 == 0;
    g.M = one_tile ? k.mr - 1 : 2 * k.mr - 3;
    g.N = one_tile ? k.nr - 2 : 3 * k.nr - 1;
    g.K = one_tile ? 2 * k.kc + 9 : k.kc + 13;
    g.seed = n;
    if (isa == QGEMM_ISA_SCALAR && n % 8 != 0) continue;  // scalar: every 8th (slow kernel)
    const gemm_problem p(g);
    ASSERT_EQ(check_threads(p, isa, &runs), "");
  }
  EXPECT_GT(runs, 0);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ThreadsOnKernel, testing::ValuesIn(runnable_isas()),
                         isa_param_name);

// One-shot calls (B packed per call) with a context.
TEST(Threads, OneShotWithContextMatchesOneThread) {
  gemm_case g;
  g.M = 77;
  g.N = 301;
  g.K = 259;
  g.out = out_kind::requant_fixed_u8;
  const gemm_problem p(g);
  const std::vector<uint8_t> ref = p.reference();
  for (int threads = 1; threads <= static_cast<int>(max_threads()); ++threads)
    for (bool pool : {false, true}) {
      const qgemm_context ctx = context(threads, pool, 1);
      std::vector<uint8_t> out = p.fresh_output();
      ASSERT_EQ(qgemm_gemm_ctx(&ctx, g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out),
                               p.ldc()),
                QGEMM_OK)
          << qgemm_last_error();
      EXPECT_EQ(out, ref) << threads << " threads, pool " << pool;
    }
}

// The C++ wrappers take a context too.
TEST(Threads, CppWrapperWithContext) {
  gemm_case g;
  g.M = 130;
  g.N = 150;
  g.K = 170;
  const gemm_problem p(g);
  qgemm_context ctx = qgemm::threads(3);
  ctx.min_macs_per_task = 1;
  std::vector<uint8_t> out = p.fresh_output();
  qgemm::gemm(ctx, g.M, g.N, g.K, p.a(), p.b(), p.epilogue(), p.out(out), p.ldc());
  EXPECT_EQ(out, p.reference());
  EXPECT_THROW(qgemm::gemm(qgemm::threads(-2), g.M, g.N, g.K, p.a(), p.b(), p.epilogue(),
                           p.out(out), p.ldc()),
               qgemm::error);
}

// The pool is used as its contract says: only for 2 or more tasks, never more than
// num_threads, each task exactly once, and on more than one thread.
TEST(Threads, PoolContract) {
  thread_pool pool(3);
  gemm_case g;
  g.M = 300;
  g.N = 700;
  g.K = 300;
  const gemm_problem p(g);
  qgemm_context ctx = qgemm_context_default();
  ctx.parallel_for = &thread_pool::parallel_for;
  ctx.pool = &pool;
  ctx.num_threads = 1;
  std::vector<uint8_t> out = p.fresh_output();
  ASSERT_EQ(qgemm_gemm_ctx(&ctx, g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out),
                           p.ldc()),
            QGEMM_OK);
  EXPECT_EQ(pool.calls(), 0u) << "num_threads = 1 must not call the pool";
  for (int threads : {2, 3, 4}) {
    ctx.num_threads = threads;
    out = p.fresh_output();
    ASSERT_EQ(qgemm_gemm_ctx(&ctx, g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out),
                             p.ldc()),
              QGEMM_OK);
    EXPECT_EQ(out, p.reference());
    EXPECT_LE(pool.max_tasks(), static_cast<size_t>(threads));
  }
  EXPECT_EQ(pool.calls(), 3u);
  EXPECT_GE(pool.min_tasks(), 2u);
  EXPECT_TRUE(pool.each_task_once());
  EXPECT_GE(pool.runners().size(), 2u) << "the pool's workers took no task";
}

// The cost model: decode splits N only, tall-and-narrow splits M, a single tile splits K, a tiny
// GEMM is not worth a second thread; never more tasks than threads.
TEST(Threads, PartitionFollowsTheCostModel) {
  const std::vector<qgemm_isa> isas = runnable_isas();
  for (qgemm_isa isa : isas) {
    qgemm_kernel_info ki{};
    ASSERT_EQ(qgemm_get_kernel_info(isa, &ki), QGEMM_OK);
    const qgemm::detail::gemm_kernel* k = qgemm::detail::kernel_for_isa(isa);
    ASSERT_NE(k, nullptr);
    using qgemm::detail::choose_partition;
    const int64_t def = qgemm::detail::kDefaultMinMacsPerTask;
    for (size_t t : {2u, 4u, 16u}) {
      const auto m1 = choose_partition(*k, 1, 4096, 4096, t, def);
      EXPECT_EQ(m1.pm, 1u);
      EXPECT_EQ(m1.pn, t) << ki.name;
      EXPECT_EQ(m1.k_parts, 1u);
      // Handed out one at a time, the N cut of decode is 8 times finer, each range at least
      // min_macs_per_task (4096 x 4096 = 16 x 2^20) and one column tile.
      const size_t col_tiles = (4096 + ki.nr - 1) / ki.nr;
      const auto m1_dynamic = choose_partition(*k, 1, 4096, 4096, t, def, true);
      EXPECT_EQ(m1_dynamic.pm, 1u);
      EXPECT_EQ(m1_dynamic.pn, std::min({8 * t, col_tiles, size_t{16}})) << ki.name;
      EXPECT_EQ(choose_partition(*k, 1, 4096, 4096, t, int64_t{1} << 23, true).pn,
                std::min<size_t>(t, 2))
          << ki.name << ": no range below min_macs_per_task";
      const auto m16 = choose_partition(*k, 16, 4096, 4096, t, def);
      EXPECT_EQ(m16.pm, 1u) << ki.name << " M = 16, " << t << " threads";
      const auto resnet = choose_partition(*k, 3136, 64, 576, t, def);
      EXPECT_EQ(resnet.pn, 1u) << ki.name << " resnet, " << t << " threads";
      EXPECT_EQ(resnet.pm, t);
      // Handed out one at a time (OpenMP), the M cut is 16 times finer, up to one row tile and
      // min_macs_per_task each (3136 x 64 x 576 = 110.25 x 2^20).
      const size_t row_tiles = (3136 + ki.mr - 1) / ki.mr;
      const auto resnet_dynamic = choose_partition(*k, 3136, 64, 576, t, def, true);
      EXPECT_EQ(resnet_dynamic.pn, 1u) << ki.name;
      EXPECT_EQ(resnet_dynamic.pm, std::min({16 * t, row_tiles, size_t{110}})) << ki.name;
      // ... and no range below min_macs_per_task: 3136 x 64 x 576 is 3.4 x 2^25.
      const auto coarse_dynamic = choose_partition(*k, 3136, 64, 576, t, int64_t{1} << 25, true);
      EXPECT_EQ(coarse_dynamic.pm, 3u) << ki.name;
      const auto sq = choose_partition(*k, 2048, 2048, 2048, t, def);
      EXPECT_GE(sq.tasks() * 4, t * 3) << ki.name;
      EXPECT_LE(sq.tasks(), t);
      EXPECT_EQ(choose_partition(*k, 2048, 2048, 2048, 1, def).tasks(), 1u);
      const auto one_tile = choose_partition(*k, 1, 1, 2 * ki.kc + 4, t, 1);
      EXPECT_EQ(one_tile.k_parts, std::min<size_t>(t, 3)) << ki.name;
      const auto tiny = choose_partition(*k, 32, 32, 32, t, def);
      EXPECT_EQ(tiny.tasks(), 1u);
    }
  }
}

#if defined(QGEMM_TEST_OPENMP)
// run_tasks gives each OpenMP thread a range of the tasks and lets a thread that has run out
// take the others' (parallel.cc): every task still runs exactly once, for any task and thread
// count, when thread 0 is slow (the others take from its range), and when OpenMP starts fewer
// threads than asked (ctest runs this test again under OMP_THREAD_LIMIT=2: the ranges of the
// threads that never start are taken by the others).
TEST(Threads, RunTasksRunsEveryTaskOnce) {
  for (const size_t threads : {2, 3, 4, 8}) {
    for (size_t n = 2; n <= 70; n += n < 20 ? 1 : 7) {
      std::vector<std::atomic<int>> runs(n);
      qgemm::detail::thread_plan plan;
      plan.threads = threads;
      qgemm::detail::run_tasks(
          plan, n,
          [](void* arg, size_t i) {
            if (omp_get_thread_num() == 0)
              std::this_thread::sleep_for(std::chrono::microseconds(200));
            (*static_cast<std::vector<std::atomic<int>>*>(arg))[i].fetch_add(1);
          },
          &runs);
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(runs[i].load(), 1) << "task " << i << " of " << n << ", " << threads
                                     << " threads";
    }
  }
}

// Inside an OpenMP parallel region a call runs on its own thread only (no nested team), and is
// still right; outside, the default context takes OpenMP's thread count.
TEST(Threads, NestedInOpenMPRegionRunsOnTheCallingThread) {
  EXPECT_EQ(qgemm::detail::resolve_threads(nullptr).threads,
            static_cast<size_t>(omp_get_max_threads()));
  EXPECT_EQ(static_cast<int>(qgemm_default_num_threads()), omp_get_max_threads());
  gemm_case g;
  g.M = 200;
  g.N = 300;
  g.K = 500;
  g.out = out_kind::requant_float_u8;
  const gemm_problem p(g);
  const std::vector<uint8_t> ref = p.reference();
  std::vector<std::vector<uint8_t>> outs(4, p.fresh_output());
  std::vector<size_t> inner_threads(4, 0);
  std::vector<int> status(4, -1);
  const qgemm_context four = context(4, false, 1);
#pragma omp parallel num_threads(4)
  {
    const int i = omp_get_thread_num();
    inner_threads[i] = qgemm::detail::resolve_threads(&four).threads;
    status[i] = qgemm_gemm_ctx(i % 2 ? &four : nullptr, g.M, g.N, g.K, &p.a(), &p.b(),
                               &p.epilogue(), p.out(outs[i]), p.ldc());
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(status[i], QGEMM_OK);
    EXPECT_EQ(inner_threads[i], 1u) << "thread " << i;
    EXPECT_EQ(outs[i], ref) << "thread " << i;
  }
}
#endif

// A rejected threaded call writes nothing; a bad context is rejected with a clear message.
TEST(Threads, ErrorsInThreadedCallsWriteNothing) {
  gemm_case g;
  g.M = 100;
  g.N = 200;
  g.K = 300;
  g.out = out_kind::requant_float_s8;
  const gemm_problem p(g);
  const std::vector<uint8_t> untouched = p.fresh_output();
  qgemm_packed_b* packed = nullptr;
  ASSERT_EQ(qgemm_pack_b(g.K, g.N, &p.b(), &packed), QGEMM_OK);
  for (bool pool : {false, true}) {
    const qgemm_context ctx = context(4, pool, 1);
    qgemm_epilogue bad = p.epilogue();
    const float negative = -1.0f;
    bad.scale = &negative;
    std::vector<uint8_t> out = p.fresh_output();
    EXPECT_EQ(qgemm_gemm_packed_ctx(&ctx, g.M, g.N, g.K, &p.a(), g.b_type, packed, &bad,
                                    p.out(out), p.ldc()),
              QGEMM_ERROR_INVALID_SCALE);
    EXPECT_EQ(out, untouched);
    EXPECT_EQ(qgemm_gemm_ctx(&ctx, g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out),
                             g.N - 1),
              QGEMM_ERROR_INVALID_STRIDE);
    EXPECT_EQ(out, untouched);
    EXPECT_EQ(qgemm_gemm_packed_ctx(&ctx, g.M, g.N + 1, g.K, &p.a(), g.b_type, packed,
                                    &p.epilogue(), p.out(out), p.ldc()),
              QGEMM_ERROR_PACKED_MISMATCH);
    EXPECT_EQ(out, untouched);
  }
  for (int32_t threads : {-1, 4097}) {
    qgemm_context ctx = qgemm_context_default();
    ctx.num_threads = threads;
    std::vector<uint8_t> out = p.fresh_output();
    EXPECT_EQ(qgemm_gemm_packed_ctx(&ctx, g.M, g.N, g.K, &p.a(), g.b_type, packed,
                                    &p.epilogue(), p.out(out), p.ldc()),
              QGEMM_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(qgemm_last_error()).find("num_threads"), std::string::npos);
    EXPECT_EQ(out, untouched);
  }
  qgemm_context ctx = qgemm_context_default();
  ctx.min_macs_per_task = -1;
  std::vector<uint8_t> out = p.fresh_output();
  EXPECT_EQ(qgemm_gemm_ctx(&ctx, g.M, g.N, g.K, &p.a(), &p.b(), &p.epilogue(), p.out(out),
                           p.ldc()),
            QGEMM_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(qgemm_last_error()).find("min_macs_per_task"), std::string::npos);
  EXPECT_EQ(out, untouched);
  qgemm_packed_b_destroy(packed);
}

}  // namespace
