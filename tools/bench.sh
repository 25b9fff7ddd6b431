#!/usr/bin/env bash
# Sets up a fresh Debian machine (with oneDNN, libdnnl-dev, for the comparison), builds qgemm in
# Release and prints the benchmark table: per shape of ../shared/bench/shapes.csv and ISA level,
# GOPS (int32 and int8 output), % of the peak of the level's instruction mix (peak/<instruction>,
# measured in the same run) and qgemm / oneDNN (dnnl_gemm_u8s8s32 and the matmul primitive);
# one thread pinned to CPU 0, median of 3 repetitions, * marks a noisy value (CV > 10%).
# The Google Benchmark JSON goes to $BUILD_DIR/qgemm_bench.json.
#   bash tools/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=sq1024]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh --bench
BUILD_DIR=${BUILD_DIR:-build-release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQGEMM_BUILD_TESTS=OFF -DQGEMM_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$(nproc)" --target qgemm_bench
PIN=""
if command -v taskset >/dev/null 2>&1; then PIN="taskset -c 0"; fi
$PIN "$BUILD_DIR/bench/qgemm_bench" --benchmark_min_time=0.2 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$BUILD_DIR/qgemm_bench.json" \
  --benchmark_out_format=json --benchmark_color=false "$@"
