#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds qgemm with its tests and runs every test.
#   bash tools/test.sh            (BUILD_DIR=build-test by default)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
BUILD_DIR=${BUILD_DIR:-build-test}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQGEMM_BUILD_TESTS=ON -DQGEMM_BUILD_BENCH=ON
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
