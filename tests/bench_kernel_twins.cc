// qgemm_twin_bench: GOPS of the test-only kernels (test_kernels.h), which qgemm_bench cannot
// reach (it walks the dispatch levels). The setup is qgemm_bench's: A u8 (zero point 128) times
// weights B s8 (zero point 0) packed once before timing, int32 output with a bias; counter
// GOPS = 2 M N K / s / 1e9. Compare with the peak of the kernel's instruction in qgemm_bench
// (the AVX-VNNI twin: peak/vpdpbusd_ymm, the EVEX ymm vpdpbusd; the int16 AVX2 baseline
// ukernel_6x16c2__avx2: peak/madd_ymm) and, for the baseline, with the AVX2 level's byte kernel
// in qgemm_bench (gemm/<shape>/avx2/s32), e.g.
//   taskset -c 1 build/tests/qgemm_twin_bench --benchmark_filter=sq1024
//   taskset -c 1 build/bench/qgemm_bench --benchmark_filter='^peak/vpdpbusd_ymm$'
// What a twin's speed says about its kernel on the kernel's own hardware is only indicative: the
// instructions are the same, the core is not.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gemm_problem.h"
#include "test_kernels.h"

namespace {

struct shape {
  const char* name;
  int64_t M, N, K;
};

// A few shapes of ../shared/bench/shapes.csv: compute-bound, batch, decode, per-call overhead.
constexpr shape kShapes[] = {{"sq1024", 1024, 1024, 1024},    {"sq2048", 2048, 2048, 2048},
                             {"bert_ffn_up", 128, 3072, 768}, {"llama7b_qkv_m1", 1, 4096, 4096},
                             {"llama7b_qkv_m16", 16, 4096, 4096}, {"tiny64", 64, 64, 64}};

void bench_twin(benchmark::State& state, shape s, qgemm_test::kernel_under_test k) {
  std::mt19937 rng(42);
  std::vector<uint8_t> a(static_cast<size_t>(s.M * s.K));
  std::vector<int8_t> b(static_cast<size_t>(s.K * s.N));
  std::vector<int32_t> bias(static_cast<size_t>(s.N));
  for (auto& v : a) v = static_cast<uint8_t>(rng());
  for (auto& v : b) v = static_cast<int8_t>(rng());
  for (auto& v : bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  qgemm_operand op_b{};
  op_b.data = b.data();
  op_b.type = QGEMM_S8;
  op_b.trans = QGEMM_NO_TRANS;
  op_b.ld = s.N;
  qgemm_operand op_a{};
  op_a.data = a.data();
  op_a.type = QGEMM_U8;
  op_a.trans = QGEMM_NO_TRANS;
  op_a.ld = s.K;
  op_a.zero_point = 128;
  op_b.zero_point = 0;
  qgemm_packed_b* packed = nullptr;
  if (qgemm_test::pack_b_for(k, s.K, s.N, &op_b, &packed) != QGEMM_OK) {
    state.SkipWithError(qgemm_last_error());
    return;
  }
  const qgemm_epilogue e = qgemm_epilogue_s32(bias.data());
  std::vector<int32_t> c(static_cast<size_t>(s.M * s.N));
  auto run = [&] {
    return qgemm_gemm_packed(s.M, s.N, s.K, &op_a, QGEMM_S8, packed, &e, c.data(), s.N);
  };
  if (run() != QGEMM_OK) state.SkipWithError(qgemm_last_error());  // also warms the workspace
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  qgemm_packed_b_destroy(packed);
  const double ops = 2.0 * static_cast<double>(s.M) * static_cast<double>(s.N) *
                     static_cast<double>(s.K) * static_cast<double>(state.iterations());
  state.counters["GOPS"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(k.name());
}

}  // namespace

int main(int argc, char** argv) {
  for (const qgemm_test::kernel_under_test& k : qgemm_test::kernels_under_test()) {
    if (k.test_only == nullptr) continue;  // the levels are qgemm_bench's
    for (const shape& s : kShapes)
      benchmark::RegisterBenchmark(("twin/" + std::string(s.name) + "/" + k.name() + "/s32").c_str(),
                                   bench_twin, s, k)
          ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
