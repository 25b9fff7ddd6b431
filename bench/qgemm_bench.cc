// qgemm_bench: GOPS of qgemm per shape of shapes.csv, per ISA level and per output.
//
// Benchmarks, in the order they run (Google Benchmark runs them in registration order):
//   peak/<instruction>        a loop of one instruction mix (bench/peak_*.cc), only where the
//                             CPU and OS support it: the peak that the kernels are compared to;
//   peak/<instruction>/t<N>   the best level's loop on N threads at once, summed: the peak of N
//                             cores, which the N-thread rows are compared to;
//   gemm/<shape>/<isa>/<output>  qgemm (output: s32 = int32 epilogue, s8 = float
//                             requantization to int8); counter pct_peak = GOPS / peak of the
//                             level's instruction mix (peak_mix() below), measured in this run;
//   onednn/<shape>/gemm|matmul   oneDNN on the same shape, when built with it (bench/onednn.cc);
//   sgemm/<shape>             fp32 cblas_sgemm of OpenBLAS on the same shape, when built with it
//                             (what a user gains over float; GOPS = GFLOPS);
//   packa/<shape>/<isa>       packing A (and its row sums) as one call of the GEMM does, alone:
//                             the table shows it as a percentage of that GEMM's time;
//   .../t<N>                  the same with N threads (qgemm: qgemm_context num_threads = N;
//                             oneDNN: omp_set_num_threads(N); OpenBLAS: openblas_set_num_threads),
//                             wall-clock time; N from --threads=N[,N...] (default: the CPUs this
//                             process may run on), qgemm's only on its best level. Names without
//                             /t<N> are one thread, timed by CPU time as before;
//   gemm/<shape>/<isa>/s32/t<N>/pool  qgemm on N threads of the caller's own pool through
//                             qgemm_context.parallel_for (examples/spinning_pool.h, whose workers
//                             spin between calls) instead of OpenMP: what a runtime's pool gets.
// --benchmark_filter and --benchmark_format=json select and read them. Each GEMM multiplies A
// (u8, M x K, row-major, zero point 128) by weights B (s8, K x N) packed once before timing, as
// an inference runtime does, and reports a rate counter GOPS = 2 M N K / s / 1e9 (for peak/:
// 2 x int8 MACs per second, or 2 flops per fp32 FMA lane). At the end a table with one row per
// shape and level is printed: GOPS, % of peak, and the ratio to oneDNN; then one row per shape and
// thread count (1 and each N) for the best level: GOPS, % of peak, x oneDNN, x sgemm, pack %.
//
// Shapes come from the project's shapes.csv: the path given with --shapes=PATH, else
// $QGEMM_SHAPES, else the path configured at build time (../shared/bench/shapes.csv).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>
#include <time.h>

#include "core/dispatch.h"
#include "core/kernel.h"
#include "onednn.h"
#include "peak.h"
#include "qgemm/qgemm.hpp"
#include "spinning_pool.h"
#if defined(QGEMM_HAVE_OPENBLAS)
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

#ifndef QGEMM_SHAPES_CSV
#define QGEMM_SHAPES_CSV "shapes.csv"
#endif

namespace {

struct shape {
  std::string group, name;
  int64_t M, N, K;
};

std::vector<shape> read_shapes(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "qgemm_bench: cannot open shapes file %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<shape> shapes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    shape s;
    std::string m, n, k;
    if (!std::getline(ss, s.group, ',') || !std::getline(ss, s.name, ',') ||
        !std::getline(ss, m, ',') || !std::getline(ss, n, ',') || !std::getline(ss, k, ',')) {
      std::fprintf(stderr, "qgemm_bench: bad line in %s: %s\n", path.c_str(), line.c_str());
      std::exit(2);
    }
    s.M = std::stoll(m);
    s.N = std::stoll(n);
    s.K = std::stoll(k);
    shapes.push_back(s);
  }
  return shapes;
}

// Inputs shared by every benchmark of one shape (allocated once, lazily).
struct shape_data {
  std::vector<uint8_t> a;
  std::vector<int8_t> b;
  std::vector<int32_t> bias;
};

shape_data& data_for(const shape& s) {
  static std::map<std::string, std::unique_ptr<shape_data>> cache;
  auto& slot = cache[s.name];
  if (!slot) {
    slot = std::make_unique<shape_data>();
    std::mt19937 rng(42);
    slot->a.resize(static_cast<size_t>(s.M * s.K));
    slot->b.resize(static_cast<size_t>(s.K * s.N));
    slot->bias.resize(static_cast<size_t>(s.N));
    for (auto& v : slot->a) v = static_cast<uint8_t>(rng());
    for (auto& v : slot->b) v = static_cast<int8_t>(rng());
    for (auto& v : slot->bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  }
  return *slot;
}

// ---------------------------------------------------------------------------------------------
// peak/<instruction>
// ---------------------------------------------------------------------------------------------
using qgemm_bench::peak_loop;

// The loops this CPU and OS can run (filled in main from qgemm_get_cpu_features()).
std::vector<const peak_loop*>& supported_peaks() {
  static std::vector<const peak_loop*> loops;
  return loops;
}

// Peak GOPS per instruction measured in this process: the best of its runs (noise only ever
// makes a loop slower), so that the gemm benchmarks and the table can divide by it.
std::map<std::string, double>& peak_gops() {
  static std::map<std::string, double> gops;
  return gops;
}

constexpr int64_t kPeakInner = 4096;  // loop iterations per benchmark iteration

// Process CPU time, as Google Benchmark's rate counters use (a preempted run is not slower).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void bench_peak(benchmark::State& state, const peak_loop* loop) {
  int64_t sink = 0;
  const double t0 = cpu_seconds();
  for (auto _ : state) {
    sink += loop->run(kPeakInner);
  }
  const double seconds = cpu_seconds() - t0;
  benchmark::DoNotOptimize(sink);
  const double gops = loop->ops_per_iter * static_cast<double>(kPeakInner) *
                      static_cast<double>(state.iterations()) / 1e9;
  state.counters["GOPS"] = benchmark::Counter(gops, benchmark::Counter::kIsRate);
  state.SetLabel(loop->mix);
  double& best = peak_gops()[loop->instruction];
  if (seconds > 0) best = std::max(best, gops / seconds);
}

// peak/<instruction>/t<N>: the same loop on N threads at once, started together (each spins until
// all are up) and timed from the first start to the last end; GOPS is their sum. That is the
// peak of N cores, and it is not N times one core's: with more cores busy each may run slower
// (a lower clock, shared caches or a neighbour on the host). On this project's Zen 5 VM (2 vCPUs,
// 2026-11-24) a vpdpbusd zmm loop ran 1123-1149 GOPS on one vCPU alone and 1092-1112 while a
// second copy ran on the other (a dev harness, separate processes), yet minutes later this
// benchmark measured 2 threads at 1.99x one: the host's other tenants decide (threading.md).
// The loop runs kPeakThreadRounds times kPeakInner iterations per thread (about 10 ms), so that
// starting the threads costs little.
constexpr int64_t kPeakThreadRounds = 1024;

std::string peak_threads_key(const char* instruction, int threads) {
  return std::string(instruction) + "/t" + std::to_string(threads);
}

// One measurement: seconds from the first thread's start to the last one's end.
double run_peak_threads(const peak_loop* loop, int threads, int64_t* sink) {
  using clock = std::chrono::steady_clock;
  std::atomic<int> ready{0};
  std::atomic<int64_t> sum{0};
  std::vector<clock::time_point> start(static_cast<size_t>(threads)), end(start);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      start[static_cast<size_t>(t)] = clock::now();
      int64_t s = 0;
      for (int64_t r = 0; r < kPeakThreadRounds; ++r) s += loop->run(kPeakInner);
      end[static_cast<size_t>(t)] = clock::now();
      sum.fetch_add(s);
    });
  for (std::thread& th : pool) th.join();
  *sink += sum.load();
  return std::chrono::duration<double>(*std::max_element(end.begin(), end.end()) -
                                       *std::min_element(start.begin(), start.end()))
      .count();
}

double peak_threads_ops(const peak_loop* loop, int threads) {
  return loop->ops_per_iter * static_cast<double>(kPeakInner * kPeakThreadRounds) * threads;
}

void bench_peak_threads(benchmark::State& state, const peak_loop* loop, int threads) {
  int64_t sink = 0;
  const double ops = peak_threads_ops(loop, threads);
  double& best = peak_gops()[peak_threads_key(loop->instruction, threads)];
  for (auto _ : state) {
    const double seconds = run_peak_threads(loop, threads, &sink);
    state.SetIterationTime(seconds);
    if (seconds > 0) best = std::max(best, ops / seconds / 1e9);
  }
  benchmark::DoNotOptimize(sink);
  state.counters["GOPS"] = benchmark::Counter(
      ops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(loop->mix) + " x " + std::to_string(threads) + " threads");
}

// The instruction mix of each level's kernel: what its GOPS is a fraction of. The avx512bw and
// avx2 kernels run vpxor + vpmaddubsw + vpmaddwd + vpaddd; the nearest loops measured here,
// maddubs_zmm and maddubs_ymm, lack the vpxor and bound them from above (on Zen 4 the avx2 mix
// peaks near 195 GOPS against maddubs_ymm's 230), so their percentages understate.
const char* peak_mix(qgemm_isa isa) {
  switch (isa) {
    case QGEMM_ISA_AVX512VNNI: return "vpdpbusd_zmm";
    case QGEMM_ISA_AVXVNNI: return "vpdpbusd_ymm_vex";
    case QGEMM_ISA_AVX512BW: return "maddubs_zmm";
    case QGEMM_ISA_AVX2: return "maddubs_ymm";
    default: return nullptr;
  }
}

// peak_gops()[key] when the peak/ benchmark of that name has run; otherwise measures it here once,
// outside any timed region, as the best of `reps` calls of measure(loop) (GOPS of one run of
// `instruction`'s loop), and keeps it under key. 0 when the CPU cannot run the instruction.
template <class Measure>
double peak_or_measure(const std::string& key, const char* instruction, int reps, Measure measure) {
  const auto it = peak_gops().find(key);
  if (it != peak_gops().end()) return it->second;
  for (const peak_loop* loop : supported_peaks()) {
    if (std::strcmp(loop->instruction, instruction) != 0) continue;
    double best = 0;
    for (int rep = 0; rep < reps; ++rep) best = std::max(best, measure(*loop));
    return peak_gops()[key] = best;
  }
  return 0;
}

// The peak of `instruction` (peak/<instruction>; measured here, best of 5 runs of ~20 ms, when
// that benchmark was filtered out).
double peak_for(const char* instruction) {
  if (instruction == nullptr) return 0;
  int64_t sink = 0;
  const double gops = peak_or_measure(instruction, instruction, 5, [&](const peak_loop& loop) {
    const int64_t calls = 20;
    const double t0 = cpu_seconds();
    for (int64_t c = 0; c < calls; ++c) sink += loop.run(kPeakInner);
    const double s = cpu_seconds() - t0;
    return loop.ops_per_iter * kPeakInner * calls / s / 1e9;
  });
  benchmark::DoNotOptimize(sink);
  return gops;
}

// The peak of `threads` cores for `instruction` (peak/<instruction>/t<N>; measured here, best of
// 3, when that benchmark has not run yet).
double peak_threads_for(const char* instruction, int threads) {
  if (instruction == nullptr) return 0;
  if (threads == 1) return peak_for(instruction);
  int64_t sink = 0;
  const double gops = peak_or_measure(
      peak_threads_key(instruction, threads), instruction, 3, [&](const peak_loop& loop) {
        const double s = run_peak_threads(&loop, threads, &sink);
        return s > 0 ? peak_threads_ops(&loop, threads) / s / 1e9 : 0.0;
      });
  benchmark::DoNotOptimize(sink);
  return gops;
}

// ---------------------------------------------------------------------------------------------
// gemm/<shape>/<isa>/<output>
// ---------------------------------------------------------------------------------------------
// The pool of the /pool benchmarks for `threads` threads (the caller's and threads - 1 workers),
// made once. Its workers spin 0.5 ms after each call (the calls of a benchmark follow each other
// within microseconds), then sleep, out of the way of the benchmarks that follow.
spinning_pool& bench_pool(int threads) {
  static std::map<int, std::unique_ptr<spinning_pool>> pools;
  std::unique_ptr<spinning_pool>& p = pools[threads];
  if (!p) p.reset(new spinning_pool(static_cast<size_t>(threads - 1), std::chrono::microseconds(500)));
  return *p;
}

void bench_gemm(benchmark::State& state, shape s, qgemm_isa isa, bool requant, int threads,
                bool own_pool) {
  shape_data& d = data_for(s);
  const qgemm::packed_b weights(isa, s.K, s.N, qgemm::operand(d.b.data(), s.N, /*zero_point=*/0));
  const qgemm_operand a = qgemm::operand(d.a.data(), s.K, /*zero_point=*/128);
  const float scale = 1.0f / (64.0f * static_cast<float>(s.K));
  const qgemm_epilogue e = requant
      ? qgemm_epilogue_requant_float(QGEMM_S8, &scale, 0, /*out_zero_point=*/-3, d.bias.data())
      : qgemm_epilogue_s32(d.bias.data());
  std::vector<uint8_t> c(static_cast<size_t>(s.M * s.N) * (requant ? 1 : 4));
  // The peak of `threads` cores running the level's mix at once.
  const double peak = peak_threads_for(peak_mix(isa), threads);
  qgemm_context ctx = qgemm_context_default();
  ctx.num_threads = threads;
  if (own_pool) {
    ctx.parallel_for = spinning_pool::parallel_for;
    ctx.pool = &bench_pool(threads);
  }
  auto run = [&] {
    qgemm::check(qgemm_gemm_packed_ctx(&ctx, s.M, s.N, s.K, &a, weights.type(), weights.get(), &e,
                                       c.data(), s.N));
  };
  run();  // warm the workspace
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double ops = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K);
  state.counters["GOPS"] = benchmark::Counter(ops * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
  if (peak > 0)  // a rate too: (ops / s / 1e9) / peak * 100
    state.counters["pct_peak"] = benchmark::Counter(
        ops * static_cast<double>(state.iterations()) / 1e9 / peak * 100.0,
        benchmark::Counter::kIsRate);
  state.SetLabel(qgemm_kernel_name(isa));
}

// ---------------------------------------------------------------------------------------------
// packa/<shape>/<isa>: what one GEMM call spends packing A (MC-row blocks over all of K, with
// row sums, as core/driver.cc does), through the kernel's own packer.
// ---------------------------------------------------------------------------------------------
void bench_pack_a(benchmark::State& state, shape s, qgemm_isa isa) {
  namespace qd = qgemm::detail;
  const qd::gemm_kernel* k = qd::kernel_for_isa(isa);
  if (k == nullptr) {
    state.SkipWithError("no kernel");
    return;
  }
  shape_data& d = data_for(s);
  const size_t M = static_cast<size_t>(s.M), K = static_cast<size_t>(s.K);
  const size_t kp = (K + k->kr - 1) / k->kr * k->kr;
  const size_t mc_max = std::min((M + k->mr - 1) / k->mr * k->mr, k->mc);
  const size_t k_blocks = std::max<size_t>((kp + k->kc - 1) / k->kc, 1);
  const size_t a_elem = k->a_elem == qd::packed_elem::u8 || k->a_elem == qd::packed_elem::s8 ? 1 : 2;
  std::vector<int8_t, std::allocator<int8_t>> dst(mc_max * std::max<size_t>(kp, 1) * a_elem + 64);
  std::vector<int32_t> sums(mc_max), neg_abs(mc_max * k_blocks);
  qd::pack_args pa{};
  pa.src = d.a.data();
  pa.ld = K;
  pa.k_contiguous = true;
  pa.type = QGEMM_U8;
  pa.k = K;
  pa.dst = dst.data();
  pa.sums = sums.data();
  pa.neg_abs_sums = k->a_elem == qd::packed_elem::s8_abs_sign ? neg_abs.data() : nullptr;
  const bool small_m = k->gemv != nullptr && M <= k->gemv_max_m;
  for (auto _ : state) {
    for (size_t ic = 0; ic < M; ic += k->mc) {
      pa.r0 = ic;
      pa.rows = std::min(k->mc, M - ic);
      k->pack_a(pa);
    }
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.counters["bytes_per_s"] = benchmark::Counter(
      static_cast<double>(M * K) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  // The small-M path packs with its own code inside the kernel; this is the blocked packer.
  state.SetLabel(small_m ? "blocked packer (this M takes the small-M path)" : k->name);
}

#if defined(QGEMM_HAVE_OPENBLAS)
// ---------------------------------------------------------------------------------------------
// sgemm/<shape>: OpenBLAS fp32 C = A B on the same shape (A, B the same values as floats).
// ---------------------------------------------------------------------------------------------
void bench_sgemm(benchmark::State& state, shape s, int threads) {
  shape_data& d = data_for(s);
  std::vector<float> a(d.a.begin(), d.a.end()), b(d.b.begin(), d.b.end());
  std::vector<float> c(static_cast<size_t>(s.M * s.N));
  openblas_set_num_threads(threads);
  auto run = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.M),
                static_cast<int>(s.N), static_cast<int>(s.K), 1.0f, a.data(),
                static_cast<int>(s.K), b.data(), static_cast<int>(s.N), 0.0f, c.data(),
                static_cast<int>(s.N));
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  openblas_set_num_threads(1);
  const double ops = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) * static_cast<double>(s.K);
  state.counters["GOPS"] = benchmark::Counter(ops * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
  state.SetLabel("cblas_sgemm");
}
#endif

// The CPUs this process may run on (taskset's mask), at least 1.
int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(CPU_COUNT(&set), 1);
}

// Thread counts of the /t<N> benchmarks (main fills it from --threads).
std::vector<int>& bench_threads() {
  static std::vector<int> t;
  return t;
}

// The console output as usual, plus a summary table: one row per shape and level.
class table_reporter : public benchmark::ConsoleReporter {
 public:
  explicit table_reporter(std::vector<shape> shapes) : shapes_(std::move(shapes)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    // pct_peak is a rate counter (so that Google Benchmark divides it by the same time as
    // GOPS); its value is final here: show it as the percentage it is, not as "/s".
    std::vector<Run> shown = runs;
    for (Run& r : shown) {
      const auto it = r.counters.find("pct_peak");
      if (it != r.counters.end()) it->second.flags = benchmark::Counter::kDefaults;
    }
    ConsoleReporter::ReportRuns(shown);
    // With --benchmark_repetitions the table shows the median and flags a coefficient of
    // variation over 10%; otherwise it shows the single run.
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const auto it = r.counters.find("GOPS");
      if (it == r.counters.end()) continue;
      const std::string name = key(r);
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        time_[name] = r.GetAdjustedCPUTime();
        gops_[name] = it->second.value;
        has_median_[name] = true;
      } else if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "cv") {
        cv_[name] = it->second.value;
      } else if (r.run_type == Run::RT_Iteration && !has_median_[name]) {
        gops_[name] = it->second.value;
        time_[name] = r.GetAdjustedCPUTime();
      }
    }
    // packa/ has no GOPS: only its time (CPU time, like the 1-thread gemm/ it is compared to).
    for (const Run& r : runs) {
      const std::string name = key(r);
      if (r.error_occurred || name.rfind("packa/", 0) != 0) continue;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        time_[name] = r.GetAdjustedCPUTime();
        has_median_[name] = true;
      } else if (r.run_type == Run::RT_Iteration && !has_median_[name]) {
        time_[name] = r.GetAdjustedCPUTime();
      }
    }
  }

  // A run's name without the "/real_time" or "/manual_time" that UseRealTime() and
  // UseManualTime() append (the /t<N> benchmarks).
  static std::string key(const Run& r) {
    std::string name = r.run_name.str();
    for (const std::string suffix : {"/real_time", "/manual_time"})
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
    return name;
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    if (!peak_gops().empty()) {
      std::printf("\nPeaks measured in this run (best repetition), GOPS:");
      for (const auto& p : peak_gops()) std::printf("  %s %.1f", p.first.c_str(), p.second);
      std::printf("\n");
    }
#ifdef QGEMM_HAVE_ONEDNN
    std::printf("oneDNN: %s\n", qgemm_bench::onednn_description().c_str());
#else
    std::printf("oneDNN: not built (install libdnnl-dev and reconfigure for the x oneDNN columns)\n");
#endif
    std::printf("\nqgemm GOPS, 1 thread, median of the repetitions (A u8 x packed B s8; s32 = int32\n"
                "output, s8 = float-requantized int8 output); %% of peak = s32 GOPS / peak of the\n"
                "level's instruction mix; x oneDNN = qgemm s32 GOPS / oneDNN GOPS on the shape\n"
                "(gemm: dnnl_gemm_u8s8s32, matmul: primitive with B prepacked); * = noisy\n"
                "(coefficient of variation over the repetitions > 10%%)\n");
    std::printf("%-20s %5s %5s %5s  %-10s %9s %9s %7s %8s %8s\n", "shape", "M", "N", "K", "isa",
                "GOPS s32", "GOPS s8", "% peak", "x gemm", "x matmul");
    for (const shape& s : shapes_) {
      const std::string dnnl = "onednn/" + s.name + "/";
      for (int i = 0; i < QGEMM_ISA_COUNT; ++i) {
        const qgemm_isa isa = static_cast<qgemm_isa>(i);
        const std::string base = "gemm/" + s.name + "/" + qgemm_isa_name(isa) + "/";
        const double s32 = get(base + "s32"), s8 = get(base + "s8");
        if (s32 == 0 && s8 == 0) continue;
        const double peak = peak_for_table(peak_mix(isa));
        std::printf("%-20s %5lld %5lld %5lld  %-10s %9s %9s %7s %8s %8s\n", s.name.c_str(),
                    (long long)s.M, (long long)s.N, (long long)s.K, qgemm_isa_name(isa),
                    cell(s32, "%.1f", {base + "s32"}).c_str(),
                    cell(s8, "%.1f", {base + "s8"}).c_str(),
                    cell(peak > 0 ? s32 / peak * 100 : 0, "%.0f%%", {base + "s32"}).c_str(),
                    ratio(s32, base + "s32", dnnl + "gemm").c_str(),
                    ratio(s32, base + "s32", dnnl + "matmul").c_str());
      }
    }
    threads_table();
    std::fflush(stdout);
  }

 private:
  double get(const std::string& name) const {
    const auto it = gops_.find(name);
    return it == gops_.end() ? 0 : it->second;
  }
  bool noisy(const std::string& name) const {
    const auto it = cv_.find(name);
    return it != cv_.end() && it->second > 0.10;
  }
  // A value, "*" appended when one of the benchmarks it comes from is noisy; "-" when missing.
  std::string cell(double v, const char* fmt, std::initializer_list<std::string> from) const {
    if (!(v > 0)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    std::string out = buf;
    for (const std::string& n : from)
      if (noisy(n)) return out + "*";
    return out;
  }
  std::string ratio(double s32, const std::string& ours, const std::string& theirs) const {
#ifdef QGEMM_HAVE_ONEDNN
    const double t = get(theirs);
    return t > 0 && s32 > 0 ? cell(s32 / t, "%.2f", {ours, theirs}) : std::string("-");
#else
    (void)s32, (void)ours, (void)theirs;
    return "n/a";
#endif
  }
  // The table does not measure: a peak not measured by now is missing.
  static double peak_for_table(const char* instruction) {
    if (instruction == nullptr) return 0;
    const auto it = peak_gops().find(instruction);
    return it == peak_gops().end() ? 0 : it->second;
  }

  // Per shape, the best level with 1 thread and with each N of --threads: what a user choosing
  // a library reads.
  void threads_table() const {
    const qgemm_isa best = qgemm_best_isa();
    const char* mix = peak_mix(best);
    std::printf("\nqgemm on its best level (%s), 1 thread and N threads: GOPS s32 / s8 as above;\n"
                "%% peak = s32 GOPS / the peak of N cores (peak/<mix>/t<N>: the level's loop on N\n"
                "threads at once); x gemm, x matmul = qgemm s32 / oneDNN with the same thread count;\n"
                "x sgemm = qgemm s32 GOPS / OpenBLAS cblas_sgemm GFLOPS (fp32) with the same thread\n"
                "count; xN/1 = N-thread GOPS / 1-thread GOPS (OpenMP); pool = the same through the\n"
                "caller's-pool hook, with examples/spinning_pool.h (its workers spin between calls\n"
                "where OpenMP's sleep under OMP_WAIT_POLICY=passive); pack %% = packing A alone (packa/) /\n"
                "the 1-thread s32 GEMM. 1 thread is CPU time, N threads wall-clock time; * = noisy (CV >\n"
                "10%%).\n",
                qgemm_isa_name(best));
#ifndef QGEMM_HAVE_OPENBLAS
    std::printf("OpenBLAS: not built (install libopenblas-dev and reconfigure for x sgemm)\n");
#endif
    std::vector<int> counts{1};
    for (int t : bench_threads())
      if (t > 1) counts.push_back(t);
    // The peak of t cores, 0 when not measured.
    auto peak_of = [&](int t) {
      if (mix == nullptr) return 0.0;
      return t == 1 ? peak_for_table(mix) : peak_for_table(peak_threads_key(mix, t).c_str());
    };
    for (int t : counts)
      if (t > 1 && peak_of(t) > 0 && peak_of(1) > 0)
        std::printf("peak of %d cores (%s): %.1f GOPS = %.2f x one core: the most xN/1 that a "
                    "compute-bound shape can reach here\n",
                    t, mix, peak_of(t), peak_of(t) / peak_of(1));
    std::printf("%-20s %5s %5s %5s %3s %9s %9s %7s %8s %8s %8s %6s %6s %6s\n", "shape", "M", "N",
                "K", "thr", "GOPS s32", "GOPS s8", "% peak", "x gemm", "x matmul", "x sgemm", "xN/1",
                "pool", "pack%");
    for (const shape& s : shapes_) {
      const std::string g1 = "gemm/" + s.name + "/" + qgemm_isa_name(best) + "/";
      const double one = get(g1 + "s32");
      for (int t : counts) {
        const std::string suffix = t == 1 ? "" : "/t" + std::to_string(t);
        const std::string g = g1 + "s32" + suffix;
        const double s32 = get(g), s8 = get(g1 + "s8" + suffix);
        if (s32 == 0 && s8 == 0) continue;
        const std::string dnnl = "onednn/" + s.name + "/";
        const std::string sg = "sgemm/" + s.name + suffix;
        std::string pack = "-";
        const auto pa = time_.find("packa/" + s.name + "/" + qgemm_isa_name(best));
        const auto gm = time_.find(g1 + "s32");
        if (t == 1 && pa != time_.end() && gm != time_.end() && gm->second > 0)
          pack = cell(pa->second / gm->second * 100, "%.1f%%", {g1 + "s32"});
        const double sgemm = get(sg);
        const double pool = get(g + "/pool");
        std::printf("%-20s %5lld %5lld %5lld %3d %9s %9s %7s %8s %8s %8s %6s %6s %6s\n", s.name.c_str(),
                    (long long)s.M, (long long)s.N, (long long)s.K, t,
                    cell(s32, "%.1f", {g}).c_str(), cell(s8, "%.1f", {g1 + "s8" + suffix}).c_str(),
                    cell(peak_of(t) > 0 ? s32 / peak_of(t) * 100 : 0, "%.0f%%", {g}).c_str(),
                    ratio(s32, g, dnnl + "gemm" + suffix).c_str(),
                    ratio(s32, g, dnnl + "matmul" + suffix).c_str(),
                    sgemm > 0 && s32 > 0 ? cell(s32 / sgemm, "%.2f", {g, sg}).c_str() : "-",
                    t > 1 && one > 0 ? cell(s32 / one, "%.2f", {g, g1 + "s32"}).c_str() : "",
                    t > 1 && one > 0 && pool > 0
                        ? cell(pool / one, "%.2f", {g + "/pool", g1 + "s32"}).c_str()
                        : "",
                    pack.c_str());
      }
    }
  }

  std::vector<shape> shapes_;
  std::map<std::string, double> gops_, cv_, time_;
  std::map<std::string, bool> has_median_;
};

#ifdef QGEMM_HAVE_ONEDNN
// oneDNN must compute what qgemm computes, (A - 128) * B + bias in int32, else the ratios
// compare different work: checked once on a small odd shape; a difference is a warning.
void check_onednn() {
  const shape s{"check", "check_37x45x61", 37, 45, 61};
  shape_data& d = data_for(s);
  std::vector<int32_t> ours(static_cast<size_t>(s.M * s.N));
  qgemm::gemm(s.M, s.N, s.K, qgemm::operand(d.a.data(), s.K, /*zero_point=*/128),
              qgemm::operand(d.b.data(), s.N, /*zero_point=*/0),
              qgemm_epilogue_s32(d.bias.data()), ours.data(), s.N);
  for (auto api : {qgemm_bench::onednn_api::gemm, qgemm_bench::onednn_api::matmul}) {
    const char* what = api == qgemm_bench::onednn_api::gemm ? "gemm" : "matmul";
    std::vector<int32_t> theirs(ours.size(), 0x5a5a5a5a);
    const std::string err =
        qgemm_bench::onednn_compute(api, s.M, s.N, s.K, d.a.data(), d.b.data(), d.bias.data(),
                                    theirs.data());
    size_t diff = 0;
    for (size_t i = 0; i < ours.size(); ++i) diff += ours[i] != theirs[i];
    if (!err.empty() || diff != 0)
      std::fprintf(stderr, "qgemm_bench: WARNING: oneDNN %s differs from qgemm on %s: %s%zu of %zu "
                   "int32 values differ\n", what, s.name.c_str(), err.empty() ? "" : (err + "; ").c_str(),
                   diff, ours.size());
    else
      std::fprintf(stderr, "qgemm_bench: oneDNN %s gives qgemm's int32 result on %s\n", what,
                   s.name.c_str());
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::string path = QGEMM_SHAPES_CSV;
  if (const char* env = std::getenv("QGEMM_SHAPES")) path = env;
  std::vector<char*> args;
  bench_threads() = {affinity_cpus()};
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--shapes=", 9) == 0) {
      path = argv[i] + 9;
    } else if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      bench_threads().clear();
      std::stringstream list(argv[i] + 10);
      std::string item;
      while (std::getline(list, item, ','))
        if (!item.empty()) bench_threads().push_back(std::max(std::atoi(item.c_str()), 1));
    } else {
      args.push_back(argv[i]);
    }
  }
  // /t<N> variants: every N of --threads; 1 only when asked for explicitly (a wall-clock
  // one-thread run to divide by), since the names without /t<N> are one thread already.
  const bool explicit_threads = bench_threads() != std::vector<int>{affinity_cpus()};
  std::vector<int> thread_variants;
  for (int t : bench_threads())
    if (t > 1 || explicit_threads) thread_variants.push_back(t);
  int n_args = static_cast<int>(args.size());
  const std::vector<shape> shapes = read_shapes(path);

  // Peaks first: the gemm benchmarks divide by them.
  const qgemm_cpu_features f = qgemm_get_cpu_features();
  (void)f;
#ifdef QGEMM_BENCH_X86_PEAKS
  auto add_peaks = [](const peak_loop* loops, int count, bool vnni) {
    for (int i = 0; i < count; ++i)
      if (vnni || !loops[i].needs_avx512_vnni) supported_peaks().push_back(&loops[i]);
  };
  if (f.avx512f && f.avx512bw && f.avx512vl)
    add_peaks(qgemm_bench::peak_loops_avx512, qgemm_bench::peak_loops_avx512_count,
              f.avx512_vnni != 0);
  if (f.avx2) add_peaks(qgemm_bench::peak_loops_avx2, qgemm_bench::peak_loops_avx2_count, false);
  if (f.avx2 && f.avx_vnni)
    add_peaks(qgemm_bench::peak_loops_avxvnni, qgemm_bench::peak_loops_avxvnni_count, false);
#endif
  for (const peak_loop* loop : supported_peaks())
    benchmark::RegisterBenchmark((std::string("peak/") + loop->instruction).c_str(), bench_peak,
                                 loop)
        ->Unit(benchmark::kMicrosecond);

  const qgemm_isa best = qgemm_best_isa();
  for (const peak_loop* loop : supported_peaks()) {
    const char* mix = peak_mix(best);
    if (mix == nullptr || std::strcmp(loop->instruction, mix) != 0) continue;
    for (int t : thread_variants)
      if (t > 1)
        benchmark::RegisterBenchmark(("peak/" + peak_threads_key(mix, t)).c_str(),
                                     bench_peak_threads, loop, t)
            ->Unit(benchmark::kMillisecond)
            ->UseManualTime();
  }
  for (const shape& s : shapes) {
    for (qgemm_isa isa : qgemm::available_isas()) {
      for (bool requant : {false, true}) {
        const std::string name = "gemm/" + s.name + "/" + qgemm_isa_name(isa) + (requant ? "/s8" : "/s32");
        benchmark::RegisterBenchmark(name.c_str(), bench_gemm, s, isa, requant, 1, false)
            ->Unit(benchmark::kMillisecond);
        if (isa != best) continue;
        for (int t : thread_variants) {
          benchmark::RegisterBenchmark((name + "/t" + std::to_string(t)).c_str(), bench_gemm, s,
                                       isa, requant, t, false)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
          if (t > 1 && !requant)
            benchmark::RegisterBenchmark((name + "/t" + std::to_string(t) + "/pool").c_str(),
                                         bench_gemm, s, isa, requant, t, true)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
      }
    }
    benchmark::RegisterBenchmark(("packa/" + s.name + "/" + qgemm_isa_name(best)).c_str(),
                                 bench_pack_a, s, best)
        ->Unit(benchmark::kMillisecond);
#ifdef QGEMM_HAVE_ONEDNN
    for (auto api : {qgemm_bench::onednn_api::gemm, qgemm_bench::onednn_api::matmul}) {
      const std::string name = "onednn/" + s.name + (api == qgemm_bench::onednn_api::gemm ? "/gemm" : "/matmul");
      benchmark::RegisterBenchmark(name.c_str(), [s, api](benchmark::State& state) {
        shape_data& d = data_for(s);
        qgemm_bench::bench_onednn(state, api, s.M, s.N, s.K, d.a.data(), d.b.data(), d.bias.data());
      })->Unit(benchmark::kMillisecond);
      for (int t : thread_variants)
        benchmark::RegisterBenchmark((name + "/t" + std::to_string(t)).c_str(),
                                     [s, api, t](benchmark::State& state) {
          shape_data& d = data_for(s);
          qgemm_bench::onednn_set_threads(t);
          qgemm_bench::bench_onednn(state, api, s.M, s.N, s.K, d.a.data(), d.b.data(),
                                    d.bias.data());
          qgemm_bench::onednn_set_threads(1);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
#endif
#ifdef QGEMM_HAVE_OPENBLAS
    benchmark::RegisterBenchmark(("sgemm/" + s.name).c_str(), bench_sgemm, s, 1)
        ->Unit(benchmark::kMillisecond);
    for (int t : thread_variants)
      benchmark::RegisterBenchmark(("sgemm/" + s.name + "/t" + std::to_string(t)).c_str(),
                                   bench_sgemm, s, t)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
#endif
  }
  benchmark::Initialize(&n_args, args.data());
  if (benchmark::ReportUnrecognizedArguments(n_args, args.data())) return 1;
#ifdef QGEMM_HAVE_ONEDNN
  qgemm_bench::onednn_setup();
  check_onednn();
#endif
  table_reporter reporter(shapes);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
