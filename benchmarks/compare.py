"""Side-by-side table from a pytest-benchmark JSON: ``python benchmarks/compare.py FILE``.

Kernels: per op and shape, the best time (µs) per backend and numpy/other ratios.
Epochs: samples/s per engine (best and median round), ratios to NumPy and to PyTorch,
and the GEMM-bound limit from the measured sgemm rate.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["benchmarks"]


def kernels(rows: list[dict]) -> list[str]:
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r["name"].startswith(("test_epoch", "test_sgemm")):
            continue
        table[r["group"]][r["extra_info"]["backend"]] = r["stats"]["min"]
    if not table:
        return []
    engines = sorted({e for t in table.values() for e in t}, key=lambda e: e != "numpy")
    others = [e for e in engines if e != "numpy"]
    head = f"{'op':<34}" + "".join(f"{e + ' us':>12}" for e in engines)
    head += "".join(f"{'numpy/' + e:>14}" for e in others)
    out = [head, "-" * len(head)]
    for group in sorted(table):
        t = table[group]
        line = f"{group:<34}" + "".join(f"{t[e] * 1e6:>12.1f}" if e in t else f"{'-':>12}"
                                        for e in engines)
        for e in others:
            ratio = t["numpy"] / t[e] if "numpy" in t and e in t else float("nan")
            line += f"{ratio:>13.2f}x"
        out.append(line)
    return out


def epochs(rows: list[dict]) -> list[str]:
    out = []
    for wl in ("W1", "W2"):
        rates: dict[str, tuple[float, float]] = {}
        limit = None
        for r in rows:
            info = r["extra_info"]
            if info.get("workload") != wl:
                continue
            if r["name"].startswith("test_sgemm"):
                limit = (info["gflops"], info["gemm_limit_samples_per_s"],
                         info.get("gemm_limit_no_input_grad", float("nan")))
                continue
            n = info["samples"]
            rates[info["backend"]] = (n / r["stats"]["min"], n / r["stats"]["median"])
        if not rates:
            continue
        out.append(f"epoch {wl} (samples/s: best round / median round)")
        base = rates.get("numpy")
        peer = next((v for k, v in rates.items() if k.startswith("torch")), None)
        for name, (best, med) in sorted(rates.items()):
            line = f"  {name:<18} {best:>10,.0f} / {med:>10,.0f}"
            if base and name != "numpy":
                line += f"   vs numpy {best / base[0]:.2f}x / {med / base[1]:.2f}x"
            if peer and not name.startswith("torch"):
                line += f"   vs torch {best / peer[0]:.2f}x / {med / peer[1]:.2f}x"
            out.append(line)
        if limit:
            out.append(f"  GEMM-bound limit   {limit[1]:>10,.0f}   (sgemm {limit[0]:.0f} GFLOP/s "
                       "/ (6 x weights) FLOPs per sample)")
            out.append(f"  ... without d/d input {limit[2]:>7,.0f}   (training skips the "
                       "first layer's input-gradient GEMM, as PyTorch does)")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/compare.py BENCH.json", file=sys.stderr)
        return 2
    rows = load(argv[1])
    print("\n".join(kernels(rows) + [""] + epochs(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
