// oneDNN on qgemm's benchmark shapes (bench/onednn.cc, built only when CMake finds oneDNN and
// then compiled with QGEMM_HAVE_ONEDNN).
#ifndef QGEMM_BENCH_ONEDNN_H_
#define QGEMM_BENCH_ONEDNN_H_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

namespace qgemm_bench {

// Makes oneDNN single-threaded (call before anything else of oneDNN runs).
void onednn_setup();
// The threads oneDNN's next calls use (its OpenMP runtime's omp_set_num_threads; the
// onednn/<shape>/<api>/t<N> benchmarks set N and then 1 again).
void onednn_set_threads(int threads);
// "oneDNN 2.6.3, OpenMP runtime, 1 thread, ISA ...": for the table's header.
std::string onednn_description();

enum class onednn_api { gemm, matmul };
// C (int32, M x N) = (A - 128) * B + bias, A u8 row-major M x K, B s8 row-major K x N, bias s32
// per column; GOPS counter like the gemm/ benchmarks. Only the multiplication is timed.
void bench_onednn(benchmark::State& state, onednn_api api, int64_t M, int64_t N, int64_t K,
                  const uint8_t* a, const int8_t* b, const int32_t* bias);
// Computes the same product with `api` into c (M x N); returns "" or an error message.
std::string onednn_compute(onednn_api api, int64_t M, int64_t N, int64_t K, const uint8_t* a,
                           const int8_t* b, const int32_t* bias, int32_t* c);

}  // namespace qgemm_bench

#endif  // QGEMM_BENCH_ONEDNN_H_
