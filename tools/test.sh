#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds qgemm with its tests and runs every test.
#   bash tools/test.sh                      Release build in build-test/
#   QGEMM_SANITIZE=1 bash tools/test.sh     the same under AddressSanitizer + UBSan (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
args=(-G Ninja -DQGEMM_BUILD_TESTS=ON -DQGEMM_BUILD_BENCH=ON)
if [ "${QGEMM_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=${BUILD_DIR:-build-asan}
  san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS=$san" "-DCMAKE_CXX_FLAGS=$san"
         "-DCMAKE_EXE_LINKER_FLAGS=$san")
else
  BUILD_DIR=${BUILD_DIR:-build-test}
  args+=(-DCMAKE_BUILD_TYPE=Release)
fi
cmake -S . -B "$BUILD_DIR" "${args[@]}"
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
