#!/usr/bin/env bash
# Cross-builds qgemm for aarch64 and runs the whole test suite under qemu-user, once per CPU
# model: max (dispatch must pick i8mm), neoverse-n1 (neondot), cortex-a53 (neon). Each model runs
# every level it supports through the full reference comparison (docs/arm.md).
#   bash tools/test-aarch64.sh              Release cross build in build-aarch64/
#   QGEMM_SANITIZE=1 bash tools/test-aarch64.sh   the same under ASan + UBSan (build-aarch64-asan/;
#                                           LeakSanitizer is off: it does not work under qemu)
# Installs what it needs from Debian (tools/setup-debian.sh --arm). Google Benchmark for aarch64
# is built from Debian's source package (apt-get source benchmark, into build-aarch64/deps/);
# if it cannot be fetched the benchmark is left out and the tests still run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh --arm
build_args=(-DCMAKE_BUILD_TYPE=Release)
if [ "${QGEMM_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR=${BUILD_DIR:-build-aarch64-asan}
  san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  build_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS=$san" "-DCMAKE_CXX_FLAGS=$san"
              "-DCMAKE_EXE_LINKER_FLAGS=$san")
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi
BUILD_DIR=${BUILD_DIR:-build-aarch64}
mkdir -p "$BUILD_DIR/deps"
deps=$(cd "$BUILD_DIR/deps" && pwd)

# Debian's benchmark sources, with a private apt configuration (a deb-src line of our own) so
# that the machine's sources.list is left as it is.
bench_args=(-DQGEMM_BUILD_BENCH=OFF)
if [ ! -f "$deps/benchmark/CMakeLists.txt" ]; then
  apt_src=(-o "Dir::Etc::SourceList=$deps/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$deps/apt/lists" -o "Dir::Cache=$deps/apt/cache")
  mkdir -p "$deps/apt/lists/partial" "$deps/apt/cache/archives/partial"
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  echo "deb-src http://deb.debian.org/debian $suite main" > "$deps/apt/sources.list"
  if (cd "$deps" && apt-get "${apt_src[@]}" update -qq &&
      apt-get "${apt_src[@]}" source -qq --download-only benchmark &&
      rm -rf benchmark && dpkg-source -x benchmark_*.dsc benchmark) >"$deps/benchmark.log" 2>&1; then
    :
  else
    echo "test-aarch64.sh: warning: could not fetch Debian's benchmark sources" \
         "(see $deps/benchmark.log); building without qgemm_bench" >&2
  fi
fi
if [ -f "$deps/benchmark/CMakeLists.txt" ]; then
  bench_args=(-DQGEMM_BUILD_BENCH=ON "-DQGEMM_BENCHMARK_SOURCE_DIR=$deps/benchmark")
fi

# Tools off: their tests run the tool binaries as child processes, which needs binfmt for qemu.
cmake -S . -B "$BUILD_DIR" -G Ninja "${build_args[@]}" \
  -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DQGEMM_BUILD_TESTS=ON -DQGEMM_BUILD_TOOLS=OFF "${bench_args[@]}"
cmake --build "$BUILD_DIR" -j "$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
