#!/usr/bin/env bash
# Quantizes a large raw float32 file (200 MB by default) with qgemm-quantize and reports, for
# three schemes, the peak resident memory and the time (/usr/bin/time -v), then checks the
# output and the reported SQNR against a direct computation: NumPy when /usr/bin/python3 has it
# (Debian: python3-numpy), otherwise a small C++ helper that does not use the library
# (tools/check_quantize_large_helper.cc). Too slow for ctest; run it by hand:
#   bash tools/check-quantize-large.sh
#   SIZE_MB=2000 BUILD_DIR=build-tools bash tools/check-quantize-large.sh
# Exit status 0 when every run succeeded and every check agreed.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-200}
BUILD_DIR=${BUILD_DIR:-build-check-large}
PYTHON=${PYTHON:-/usr/bin/python3}

# A fresh build dir gets the tools only; an existing one (BUILD_DIR=build-test) keeps its tests.
if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DQGEMM_BUILD_TOOLS=ON >/dev/null
else
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DQGEMM_BUILD_TOOLS=ON \
    -DQGEMM_BUILD_TESTS=OFF -DQGEMM_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" --target qgemm-quantize qgemm-check-large-helper >/dev/null
tool="$BUILD_DIR/tools/qgemm-quantize"
helper="$BUILD_DIR/tools/qgemm-check-large-helper"

work=$(mktemp -d "${TMPDIR:-/tmp}/qgemm-quantize-large-XXXXXX")
trap 'rm -rf "$work"' EXIT
cols=4096
rows=$((SIZE_MB * 1024 * 1024 / 4 / cols))
count=$((rows * cols))

if "$PYTHON" -c 'import numpy' 2>/dev/null; then
  checker=numpy
else
  checker=helper
fi
echo "input: $rows x $cols float32 = $((count * 4)) bytes in $work (direct check: $checker)"
if [ "$checker" = numpy ]; then
  "$PYTHON" - "$work/x.bin" "$count" <<'EOF'
import sys, numpy as np
path, count = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)
with open(path, "wb") as f:
    for start in range(0, count, 1 << 22):
        x = rng.normal(0.1, 1.0, min(1 << 22, count - start)).astype(np.float32)
        x[(-start) % 1009::1009] *= 12  # outliers, so that percentile clipping matters
        x.astype("<f4").tofile(f)
EOF
else
  "$helper" generate "$work/x.bin" "$count" 7
fi

# The direct check: q recomputed from the JSON's s and z, and SQNR from x and s * (q - z).
check_numpy() {  # INPUT OUTPUT PARAMS
  "$PYTHON" - "$@" <<'EOF'
import json, sys, numpy as np
x_path, q_path, params_path = sys.argv[1:4]
p = json.load(open(params_path))
x = np.memmap(x_path, dtype="<f4", mode="r").reshape(p["shape"])
q = np.load(q_path, mmap_mode="r")
s = np.asarray(p["scale"], dtype=np.float64)
z = np.asarray(p["zero_point"], dtype=np.float64)
if p["axis"] is not None:
    assert p["axis"] == 0
    s, z = s[:, None], z[:, None]
signal = noise = 0.0
mismatches = 0
for r in range(0, x.shape[0], 256):  # row blocks: bounded memory here too
    xb = np.asarray(x[r:r + 256], dtype=np.float64)
    sb, zb = (s[r:r + 256], z[r:r + 256]) if p["axis"] is not None else (s, z)
    qb = np.asarray(q[r:r + 256], dtype=np.float64)
    expected = np.clip(np.rint(xb / sb + zb), p["qmin"], p["qmax"])  # rint: half to even
    mismatches += int(np.count_nonzero(expected != qb))
    restored = (sb * (qb - zb)).astype(np.float32).astype(np.float64)
    signal += float(np.sum(xb * xb))
    noise += float(np.sum((xb - restored) ** 2))
sqnr = 10 * np.log10(signal / noise)
reported = p["error"]["sqnr_db"]
print(f"direct (numpy): {mismatches} of {x.size} quantized values differ; SQNR {sqnr:.12f} dB, "
      f"reported {reported:.12f} dB, difference {abs(sqnr - reported):.3g} dB")
ok = mismatches == 0 and abs(sqnr - reported) <= 1e-6
if p["scheme"] == "percentile":
    clip = np.percentile(np.abs(np.asarray(x, dtype=np.float64)).ravel(), p["percentile"])
    expected_scale = clip / p["qmax"]
    print(f"direct (numpy): percentile scale {expected_scale!r}, reported {float(p['scale'])!r}")
    ok = ok and abs(expected_scale - p["scale"]) <= 1e-15 * expected_scale
sys.exit(0 if ok else 1)
EOF
}

status=0
run_case() {  # NAME ARGS...
  local name=$1
  shift
  local out="$work/q-$name.npy"
  /usr/bin/time -v -o "$work/time.txt" \
    "$tool" "$work/x.bin" --shape "$rows,$cols" -o "$out" "$@" >"$work/report.txt"
  local rss elapsed
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  elapsed=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  echo "== $name ($*): peak RSS $((rss / 1024)) MiB ($rss kB), wall $elapsed"
  grep -E '^(scheme|error)' "$work/report.txt" | sed 's/^/   /'
  if [ "$checker" = numpy ]; then
    check_numpy "$work/x.bin" "$out" "${out%.npy}.json" || status=1
  else
    "$helper" check "$work/x.bin" "$out" "${out%.npy}.json" || status=1
  fi
  rm -f "$out" "${out%.npy}.json"
}

run_case asymmetric --scheme asymmetric
run_case symmetric-per-row --scheme symmetric --axis 0
run_case percentile --scheme percentile --percentile 99.99
[ "$status" = 0 ] && echo "all checks agree" || echo "CHECK FAILED"
exit "$status"
