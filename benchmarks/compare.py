"""Tables from a pytest-benchmark JSON: ``python benchmarks/compare.py FILE.json``.

First the short summary of the epoch benchmarks (when the file has them): per workload
and engine the median samples/s, min-max and spread over rounds, the ratio of medians
to NumPy and to PyTorch, and the GEMM-bound limit from sgemm (not printed as a bound
when a measured rate exceeds it). pytest-benchmark times engines one after another,
not interleaved, so these ratios are unpaired: ``nnplug bench`` measures paired ones.
Then the per-op kernel table: best time per backend and numpy/other ratios.
"""
from __future__ import annotations

import json
import re
import sys
from collections import defaultdict

from nnplug_bench import stats
from nnplug_bench.report import table

RATIO_TO = ("numpy", "torch")


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["benchmarks"]


def rate(row: dict) -> stats.Spread:
    """Samples/s of an epoch row: rows / median time, min-max from the slowest/fastest."""
    n, s = row["extra_info"]["rows"], row["stats"]
    return stats.Spread(n / s["median"], n / s["max"], n / s["min"], s["rounds"])


def epochs(rows: list[dict]) -> list[str]:
    by_wl: dict[str, dict[str, dict]] = defaultdict(dict)
    sgemm: dict[str, dict] = {}
    for r in rows:
        info = r["extra_info"]
        if r["name"].startswith("test_sgemm"):
            sgemm[info["workload"]] = r
        elif r["name"].startswith("test_epoch"):
            by_wl[info["workload"]][info["engine"]] = r
    out = []
    for wl, engines in by_wl.items():
        rates = {name: rate(r) for name, r in engines.items()}
        cols = [c for c in RATIO_TO if c in rates]
        body = [[name, engines[name]["extra_info"]["path"], str(engines[name]["extra_info"]
                                                                   ["threads"]),
                 f"{s.median:,.0f}", f"{s.min:,.0f}-{s.max:,.0f}", f"{s.ratio:.2f}x",
                 *(f"{s.median / rates[c].median:.2f}x" if c != name else "-" for c in cols)]
                for name, s in rates.items()]
        out += ["", f"epoch {wl} (pytest-benchmark, engines timed one after another)"]
        out += table(["engine", "path", "thr", "samples/s", "min-max", "spread",
                      *(f"vs {c} (unpaired)" for c in cols)], body, left=2)
        if wl in sgemm:
            out.append("  " + gemm(sgemm[wl], {n: [s.max] for n, s in rates.items()}))
    return out


def gemm(row: dict, fastest: dict[str, list[float]]) -> str:
    info = row["extra_info"]
    gflops = info["flops"] / row["stats"]["median"] / 1e9
    verdict = stats.gemm_verdict(stats.gemm_limit(gflops, info["flops_per_sample"]), fastest)
    shape = "x".join(map(str, info["shape"]))
    what = f"sgemm {shape}, {info['threads']} thread(s), {gflops:.1f} GFLOP/s (median)"
    if verdict.is_bound:
        return f"GEMM limit {verdict.limit:,.0f} samples/s ({what})"
    return f"GEMM limit: not a bound here ({what}; {verdict.reason})"


def natural(text: str) -> list:
    """Sort key: digit runs compare as numbers (32x256 before 128x256)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def kernels(rows: list[dict]) -> list[str]:
    best: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if not r["name"].startswith(("test_epoch", "test_sgemm")):
            best[r["group"]][r["extra_info"]["backend"]] = r["stats"]["min"]
    if not best:
        return []
    engines = sorted({e for t in best.values() for e in t}, key=lambda e: e != "numpy")
    others = [e for e in engines if e != "numpy"]
    body = []
    for group in sorted(best, key=natural):
        t = best[group]
        body.append([group, *(f"{t[e] * 1e6:.1f}" if e in t else "-" for e in engines),
                     *(f"{t['numpy'] / t[e]:.2f}x" if "numpy" in t and e in t else "-"
                       for e in others)])
    return ["", "kernels (best time per call, us; workspaces preallocated)"] + table(
        ["op", *(f"{e} us" for e in engines), *(f"numpy/{e}" for e in others)], body)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/compare.py BENCH.json", file=sys.stderr)
        return 2
    rows = load(argv[1])
    print("\n".join(epochs(rows) + kernels(rows)).lstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
