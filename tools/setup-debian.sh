#!/usr/bin/env bash
# Installs what qgemm needs to build, test and benchmark on Debian 12 (all from Debian's
# packages; nothing is downloaded at build time). Run as root, or with sudo available.
#   bash tools/setup-debian.sh           what the build and the tests need
#   bash tools/setup-debian.sh --bench   also libdnnl-dev (oneDNN) and libopenblas-dev (fp32
#                                        sgemm), optional: the benchmark compares with them when
#                                        present, and python3-matplotlib for its chart
#                                        (tools/bench.sh)
#   bash tools/setup-debian.sh --arm     also the aarch64 cross toolchain, qemu-user and what
#                                        unpacks Debian source packages (tools/test-aarch64.sh)
#   bash tools/setup-debian.sh --fuzz    also clang-14 and libclang-rt-14-dev (tools/fuzz.sh)
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  cmake g++ ninja-build make libgtest-dev libgmock-dev libbenchmark-dev libxsimd-dev \
  pkgconf util-linux >/dev/null
if [ "${1:-}" = "--fuzz" ]; then  # tools/fuzz.sh: clang 14 with libFuzzer and the sanitizers
  $SUDO apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
fi
if [ "${1:-}" = "--bench" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends libdnnl-dev >/dev/null ||
    echo "setup-debian.sh: warning: libdnnl-dev not installed; the benchmark table shows n/a" \
         "for oneDNN" >&2
  $SUDO apt-get install -y -qq --no-install-recommends libopenblas-dev python3-matplotlib \
    >/dev/null ||
    echo "setup-debian.sh: warning: libopenblas-dev or python3-matplotlib not installed; no" \
         "x sgemm column or no chart" >&2
fi
if [ "${1:-}" = "--arm" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends \
    g++-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user googletest dpkg-dev >/dev/null
fi
