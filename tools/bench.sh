#!/usr/bin/env bash
# Sets up a fresh Debian machine (with oneDNN, libdnnl-dev, and OpenBLAS, libopenblas-dev, for
# the comparison), builds qgemm in Release and prints the benchmark tables:
#   1. per shape of ../shared/bench/shapes.csv and ISA level, one thread: GOPS (int32 and int8
#      output), % of the peak of the level's instruction mix (peak/<instruction>, measured in the
#      same run) and qgemm / oneDNN (dnnl_gemm_u8s8s32 and the matmul primitive);
#   2. per shape, qgemm's best level with 1 thread and with all cores: GOPS, % of the peak of
#      that many cores (peak/<instruction>/t<N>: the loop on every core at once), x oneDNN and
#      x OpenBLAS fp32 cblas_sgemm with the same thread count, the speedup (OpenMP, and through
#      the caller's-pool hook with examples/spinning_pool.h), and packing A's share of a
#      1-thread GEMM.
# Median of 5 repetitions of 0.12 s, in random order across all benchmarks (Google Benchmark's
# random interleaving: a neighbour's load on a shared machine, which comes and goes over minutes,
# then falls on qgemm and its peers alike instead of on whichever ran at the time, so the ratios
# hold better than the absolute figures); * marks a noisy value (CV > 10%). Threads are pinned to
# the CPUs this shell may use (taskset; OMP_PROC_BIND: see below), OMP_WAIT_POLICY=passive
# (libgomp does not spin at barriers on a shared machine); OPENBLAS_CORETYPE=Cooperlake makes
# Debian's OpenBLAS 0.3.21 use its AVX-512 kernels on CPUs it does not recognise (else it runs
# SSE3 kernels, 4-5x slower): the float baseline is its fast one. The Google Benchmark JSON goes
# to out/qgemm_bench.json and a chart of GOPS per shape (qgemm beside oneDNN and OpenBLAS) to
# out/qgemm_bench.png.
#   bash tools/bench.sh [extra flags, e.g. --benchmark_filter=sq1024 or --threads=1,2]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh --bench
BUILD_DIR=${BUILD_DIR:-build-release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQGEMM_BUILD_TESTS=OFF -DQGEMM_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$(nproc)" --target qgemm_bench
mkdir -p out
PIN=""
THREADS=$(nproc)
if command -v taskset >/dev/null 2>&1; then
  CPUS=$(taskset -pc $$ | sed 's/.*: //')
  PIN="taskset -c $CPUS"
fi
echo "bench.sh: CPUs ${CPUS:-all} ($THREADS threads for the all-cores rows); load average:" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"
# OMP_PROC_BIND is false by default: with it set, libgomp binds the process's first thread to the
# first place when it loads, before main, and every thread created later without OpenMP inherits
# that one CPU: OpenBLAS's pthread pool would run its N threads on one core (checked with
# /proc/<pid>/task/*/status). taskset pins the process to the CPUs instead; set OMP_PROC_BIND=close
# to bind OpenMP's threads one per core (then read the sgemm N-thread numbers with care).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} OMP_PROC_BIND=${OMP_PROC_BIND:-false}
export OMP_PLACES=${OMP_PLACES:-cores} OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Cooperlake}
echo "bench.sh: OMP_WAIT_POLICY=$OMP_WAIT_POLICY OMP_PROC_BIND=$OMP_PROC_BIND" \
     "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
$PIN "$BUILD_DIR/bench/qgemm_bench" --benchmark_min_time=0.12 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_out=out/qgemm_bench.json --benchmark_out_format=json --benchmark_color=false \
  --threads="$THREADS" "$@"
echo "JSON: $(pwd)/out/qgemm_bench.json"
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  echo "Chart: $(pwd)/$(/usr/bin/python3 tools/plot_bench.py out/qgemm_bench.json out/qgemm_bench.png)"
else
  echo "Chart: not drawn (install python3-matplotlib)"
fi
