#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang 14, ASan and UBSan, and runs each one for a
# bounded time from its committed seeds; fails on the first finding. docs/fuzzing.md explains.
#   bash tools/fuzz.sh                          every target, 60 s each
#   FUZZ_SECONDS=1800 bash tools/fuzz.sh fuzz_gemm    one target for 30 minutes
# Environment: FUZZ_SECONDS (default 60), BUILD_DIR (default build-fuzz), FUZZ_ARGS (extra
# libFuzzer flags, e.g. "-jobs=2 -workers=2"). New corpus entries go to $BUILD_DIR/corpus/<target>
# (kept between runs), findings to $BUILD_DIR/findings/<target>/, logs to $BUILD_DIR/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh --fuzz
BUILD_DIR=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(fuzz_gemm fuzz_quant fuzz_packed_load); fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DQGEMM_BUILD_FUZZ=ON \
  -DQGEMM_BUILD_TESTS=OFF -DQGEMM_BUILD_BENCH=OFF -DQGEMM_BUILD_TOOLS=OFF -DQGEMM_INSTALL=OFF
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${targets[@]}"

mkdir -p "$BUILD_DIR/logs"
for t in "${targets[@]}"; do
  mkdir -p "$BUILD_DIR/corpus/$t" "$BUILD_DIR/findings/$t"
  echo "== $t: ${seconds} s"
  # shellcheck disable=SC2086
  status=0
  "$BUILD_DIR/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$BUILD_DIR/findings/$t/" ${FUZZ_ARGS:-} \
    "$BUILD_DIR/corpus/$t" "fuzz/corpus/$t" > "$BUILD_DIR/logs/$t.log" 2>&1 || status=$?
  grep -E "INITED|DONE|ERROR|SUMMARY|check failed|stat::(number_of_executed_units|average_exec_per_sec)" \
    "$BUILD_DIR/logs/$t.log" || true
  if [ "$status" -ne 0 ]; then
    echo "tools/fuzz.sh: $t found a problem (exit $status); see $BUILD_DIR/logs/$t.log and" \
         "$BUILD_DIR/findings/$t/" >&2
    exit 1
  fi
done
echo "tools/fuzz.sh: ${targets[*]}: no findings in ${seconds} s each"
