// Peak microbenchmarks: loops of one instruction mix, for `peak/<instruction>`.
//
// Each loop lives in a file compiled with only its ISA's flags (peak_avx512.cc, peak_avx2.cc,
// peak_avxvnni.cc) and is called only when qgemm_get_cpu_features() says the CPU and OS can run
// it. This header is plain C-style declarations on purpose: no inline function or template is
// shared between those files and the baseline code, so the linker can never pick an AVX-512
// copy of something the baseline calls.
#ifndef QGEMM_BENCH_PEAK_H_
#define QGEMM_BENCH_PEAK_H_

#include <cstdint>

namespace qgemm_bench {

struct peak_loop {
  const char* instruction;  // `peak/<instruction>`, e.g. "vpdpbusd_zmm"
  const char* mix;          // the instructions of one step, for the label
  bool needs_avx512_vnni;   // in peak_loops_avx512: runs only with AVX512-VNNI (else F+BW+VL)
  double ops_per_iter;      // int8 ops (2 x MACs) or flops (2 per FMA lane) per call of iters=1
  // Runs `iters` iterations of the loop; returns a value derived from every accumulator (so
  // that nothing is dead code).
  int64_t (*run)(int64_t iters);
};

// What each ISA file defines (count = number of entries). Declared here, defined only in the
// files that the build compiles for this target (see bench/CMakeLists.txt).
extern const peak_loop peak_loops_avx512[];
extern const int peak_loops_avx512_count;
extern const peak_loop peak_loops_avx2[];
extern const int peak_loops_avx2_count;
extern const peak_loop peak_loops_avxvnni[];
extern const int peak_loops_avxvnni_count;

}  // namespace qgemm_bench

#endif  // QGEMM_BENCH_PEAK_H_
