// oneDNN on qgemm's benchmark shapes: onednn/<shape>/gemm and onednn/<shape>/matmul.
//
// Both compute C (s32, M x N, row-major) = (A - 128) * B + bias, as the gemm/<shape>/<isa>/s32
// benchmarks do: A u8 (M x K) with zero point 128, B s8 (K x N) with zero point 0, bias s32 per
// column.
//   gemm:   dnnl_gemm_u8s8s32('N', 'N', 'R', ...): C = alpha (A - ao)(B - bo) + beta C + co,
//           so ao = 128, bo = 0, alpha = 1, beta = 0, co = bias ('R': one offset per column).
//           It packs B inside every call (there is no prepacked form in this API).
//   matmul: the primitive with weights in format_tag::any; B is reordered into the layout the
//           primitive prefers and the primitive is created before timing; only execute() is
//           timed. The zero point of A is a runtime src zero point (attr set_zero_points with
//           DNNL_RUNTIME_S32_VAL, passed as DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC = 128);
//           the bias is the primitive's s32 bias.
// Threads: Debian's libdnnl 2.6 runs on OpenMP (libgomp); onednn_setup() calls
// omp_set_num_threads(1) before oneDNN runs, so it uses one thread whatever OMP_NUM_THREADS
// or the affinity mask say (onednn_description() reports omp_get_max_threads() and the
// process's thread count after a call, as a check).
#include "onednn.h"

#include <oneapi/dnnl/dnnl.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#endif

namespace qgemm_bench {
namespace {

constexpr uint8_t kZeroPointA = 128;

// The process's thread count from /proc (0 when unknown).
int process_threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  return 0;
}

const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string gemm_call(int64_t M, int64_t N, int64_t K, const uint8_t* a, const int8_t* b,
                      const int32_t* bias, int32_t* c) {
  const dnnl_status_t st = dnnl_gemm_u8s8s32('N', 'N', 'R', M, N, K, 1.0f, a, K, kZeroPointA,
                                             b, N, /*bo=*/0, 0.0f, c, N, bias);
  return st == dnnl_success ? "" : "dnnl_gemm_u8s8s32 failed, status " + std::to_string(st);
}

// The matmul primitive with B prepacked: everything but execute() happens in the constructor.
struct matmul_problem {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul prim;
  dnnl::memory a_mem, b_mem, bias_mem, c_mem, zp_mem;
  std::string impl;

  matmul_problem(int64_t M, int64_t N, int64_t K, const uint8_t* a, const int8_t* b,
                 const int32_t* bias, int32_t* c) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::desc a_md({M, K}, dt::u8, tag::ab);
    const dnnl::memory::desc b_any({K, N}, dt::s8, tag::any);
    const dnnl::memory::desc bias_md({1, N}, dt::s32, tag::ab);
    const dnnl::memory::desc c_md({M, N}, dt::s32, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_zero_points(DNNL_ARG_SRC, /*mask=*/0, {DNNL_RUNTIME_S32_VAL});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_any, bias_md, c_md), attr,
                                          eng);
    impl = pd.impl_info_str();
    // B into the primitive's preferred layout, once.
    dnnl::memory b_user({{K, N}, dt::s8, tag::ab}, eng, const_cast<int8_t*>(b));
    b_mem = dnnl::memory(pd.weights_desc(), eng);
    dnnl::reorder(b_user, b_mem).execute(strm, b_user, b_mem);
    a_mem = dnnl::memory(a_md, eng, const_cast<uint8_t*>(a));
    bias_mem = dnnl::memory(bias_md, eng, const_cast<int32_t*>(bias));
    c_mem = dnnl::memory(c_md, eng, c);
    zp_mem = dnnl::memory({{1}, dt::s32, tag::x}, eng);
    *static_cast<int32_t*>(zp_mem.get_data_handle()) = kZeroPointA;
    prim = dnnl::matmul(pd);
    strm.wait();
  }

  void run() {
    prim.execute(strm, {{DNNL_ARG_SRC, a_mem},
                        {DNNL_ARG_WEIGHTS, b_mem},
                        {DNNL_ARG_BIAS, bias_mem},
                        {DNNL_ARG_DST, c_mem},
                        {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zp_mem}});
    strm.wait();
  }
};

}  // namespace

void onednn_setup() {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  omp_set_num_threads(1);
#endif
}

void onednn_set_threads(int threads) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

std::string onednn_description() {
  const dnnl_version_t* v = dnnl_version();
  char buf[256];
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  const char* runtime = "OpenMP";
  const int threads = omp_get_max_threads();
#else
  const char* runtime = "non-OpenMP runtime";
  const int threads = -1;
#endif
  std::snprintf(buf, sizeof buf,
                "oneDNN %d.%d.%d, %s, max threads %d (process has %d threads), ISA %s",
                v->major, v->minor, v->patch, runtime, threads, process_threads(),
                isa_name(dnnl_get_effective_cpu_isa()));
  return buf;
}

std::string onednn_compute(onednn_api api, int64_t M, int64_t N, int64_t K, const uint8_t* a,
                           const int8_t* b, const int32_t* bias, int32_t* c) {
  try {
    if (api == onednn_api::gemm) return gemm_call(M, N, K, a, b, bias, c);
    matmul_problem p(M, N, K, a, b, bias, c);
    p.run();
    return "";
  } catch (const dnnl::error& e) {
    return std::string("oneDNN error: ") + e.what();
  }
}

void bench_onednn(benchmark::State& state, onednn_api api, int64_t M, int64_t N, int64_t K,
                  const uint8_t* a, const int8_t* b, const int32_t* bias) {
  std::vector<int32_t> c(static_cast<size_t>(M * N));
  try {
    if (api == onednn_api::gemm) {
      const std::string err = gemm_call(M, N, K, a, b, bias, c.data());  // warm up
      if (!err.empty()) {
        state.SkipWithError(err.c_str());
        return;
      }
      for (auto _ : state) {
        gemm_call(M, N, K, a, b, bias, c.data());
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
      }
      state.SetLabel("dnnl_gemm_u8s8s32");
    } else {
      matmul_problem p(M, N, K, a, b, bias, c.data());  // B reordered, primitive created
      p.run();                                           // warm up
      for (auto _ : state) {
        p.run();
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
      }
      state.SetLabel("matmul " + p.impl);
    }
  } catch (const dnnl::error& e) {
    state.SkipWithError((std::string("oneDNN error: ") + e.what()).c_str());
    return;
  }
  const double ops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  state.counters["GOPS"] = benchmark::Counter(ops * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

}  // namespace qgemm_bench
