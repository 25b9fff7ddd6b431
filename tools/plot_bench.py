#!/usr/bin/python3
"""Draws qgemm_bench's Google Benchmark JSON as a PNG: GOPS per shape, qgemm (best level, int32
and int8 output) beside oneDNN (the faster of dnnl_gemm_u8s8s32 and its matmul primitive) and
OpenBLAS fp32 cblas_sgemm, one panel for 1 thread and one for each N-thread run.

    /usr/bin/python3 tools/plot_bench.py out/qgemm_bench.json out/qgemm_bench.png

Uses Debian's python3-matplotlib (call /usr/bin/python3: another python3 on PATH may not see
Debian's modules). Medians when the run has repetitions, else the single run."""
import json
import re
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path) as f:
        doc = json.load(f)
    gops, has_median, order = {}, set(), {}
    for b in doc["benchmarks"]:
        if "GOPS" not in b or b.get("error_occurred"):
            continue
        name = re.sub(r"/(real|manual)_time$", "", b.get("run_name", b["name"]))
        # Registration order (shapes.csv's), whatever order the runs came in (bench.sh runs
        # them in random order).
        order.setdefault(name, b.get("family_index", len(order)))
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                gops[name] = b["GOPS"]
                has_median.add(name)
        elif name not in has_median:
            gops[name] = b["GOPS"]
    return doc, gops, order


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "out/qgemm_bench.json"
    dst = sys.argv[2] if len(sys.argv) > 2 else "out/qgemm_bench.png"
    doc, gops, order = load(src)
    # Shapes in shapes.csv's order; the best level = the one with the highest 1-thread s32 GOPS
    # overall.
    first = {}  # shape -> the registration index of its first gemm/ benchmark
    level_sum = defaultdict(float)
    threads = set()
    for name in gops:
        m = re.match(r"gemm/([^/]+)/([^/]+)/(s32|s8)(?:/t(\d+))?$", name)
        if not m:
            continue
        first[m.group(1)] = min(first.get(m.group(1), order[name]), order[name])
        if m.group(4):
            threads.add(int(m.group(4)))
        elif m.group(3) == "s32":
            level_sum[m.group(2)] += gops[name]
    if not first:
        sys.exit("plot_bench.py: no gemm/ results in " + src)
    shapes = sorted(first, key=first.get)
    best = max(level_sum, key=level_sum.get)
    panels = [1] + sorted(t for t in threads if t > 1)

    series = [
        ("qgemm int32 out", lambda s, sfx: gops.get(f"gemm/{s}/{best}/s32{sfx}"), "#1f77b4"),
        ("qgemm int8 out", lambda s, sfx: gops.get(f"gemm/{s}/{best}/s8{sfx}"), "#6baed6"),
        ("oneDNN u8s8s32", lambda s, sfx: max(
            [v for v in (gops.get(f"onednn/{s}/gemm{sfx}"), gops.get(f"onednn/{s}/matmul{sfx}"))
             if v] or [None]) if any(gops.get(f"onednn/{s}/{a}{sfx}") for a in ("gemm", "matmul"))
         else None, "#ff7f0e"),
        ("OpenBLAS sgemm fp32", lambda s, sfx: gops.get(f"sgemm/{s}{sfx}"), "#2ca02c"),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(12, len(shapes) * 0.9), 4.5 * len(panels)),
                             squeeze=False)
    width = 0.8 / len(series)
    for ax, t in zip(axes[:, 0], panels):
        sfx = "" if t == 1 else f"/t{t}"
        for i, (label, get, color) in enumerate(series):
            xs, ys = [], []
            for j, s in enumerate(shapes):
                v = get(s, sfx)
                if v:
                    xs.append(j + (i - (len(series) - 1) / 2) * width)
                    ys.append(v)
            if ys:
                ax.bar(xs, ys, width, label=label, color=color)
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 4)  # room for the legend above the tallest bars
        ax.set_ylabel("GOPS (GFLOPS for sgemm), log")
        ax.set_title(f"{t} thread{'s' if t > 1 else ''} (qgemm level {best})")
        ax.set_xticks(range(len(shapes)))
        ax.set_xticklabels(shapes, rotation=30, ha="right", fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=4, loc="upper left")
    ctx = doc.get("context", {})
    fig.suptitle(f"qgemm vs oneDNN vs OpenBLAS sgemm per shape ({ctx.get('host_name', '')}, "
                 f"{ctx.get('num_cpus', '?')} CPUs, {ctx.get('date', '')})", fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(dst)


if __name__ == "__main__":
    main()
