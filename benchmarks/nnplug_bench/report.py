"""The text of ``nnplug bench``: the short summary first, then the optional sections.
Every function takes the JSON-ready dicts of :mod:`.suite`, :mod:`.concurrent` and
:mod:`.profile` and returns lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnplug_bench.suite import RATIO_COLUMNS


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ", left: int = 1
) -> list[str]:
    """Columns padded to their widest cell; the first ``left`` columns left-aligned."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return (
            indent
            + "  ".join(
                str(c).ljust(w) if i < left else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )

    return [line(headers), *(line(r) for r in rows)]


def ratio(r: dict[str, float] | None) -> str:
    if r is None:
        return "-"
    return f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f})"


def header(meta: dict[str, Any], rounds: int, seconds: float) -> list[str]:
    load = meta["load_average"]
    where = (
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)"
        if load
        else "load average unknown"
    )
    plural = "s" * (rounds > 1)
    return [
        f"nnplug bench: {meta['cores']} cores, {where}; {rounds} round{plural}, every "
        f"engine >= {seconds:g} s per round after a warm-up, order rotated each round"
    ]


def workload_block(wl: dict[str, Any]) -> list[str]:
    """The summary of one workload: one row per engine, the GEMM limit, the warm-ups."""
    engines = wl["engines"]
    cols = [c for c in RATIO_COLUMNS if c in engines]
    rows = []
    for name, e in engines.items():
        mark = " *" if e["note"] else ""
        rows.append(
            [
                e["label"] + mark,
                e["path"],
                str(e["threads"]),
                f"{e['median']:,.0f}",
                f"{e['min']:,.0f}-{e['max']:,.0f}",
                f"{e['spread']:.2f}x",
                *(ratio(wl["ratios"].get(f"{name}/{c}")) for c in cols),
            ]
        )
    out = [f"{wl['workload']}  {wl['description']}"]
    out += table(
        ["engine", "path", "thr", "samples/s", "min-max", "spread", *(f"vs {c}" for c in cols)],
        rows,
        left=2,
    )
    out.append("  " + gemm_line(wl))
    warm = ", ".join(
        f"{n} {e['warmup_seconds']:.2f} s"
        + (f" (compile {e['compile_seconds']:.2f} s)" if e["compile_seconds"] else "")
        for n, e in engines.items()
    )
    out.append(f"  warm-up (not timed): {warm}")
    out += [
        f"  {n} trained per op: {e['not_compiled']}"
        for n, e in engines.items()
        if e.get("not_compiled")
    ]
    return out


def gemm_line(wl: dict[str, Any]) -> str:
    s, g = wl["sgemm"], wl["gemm_limit"]
    m, k, n = s["shape"]
    sgemm = (
        f"sgemm {m}x{k}x{n}, {s['threads']} thread{'s' if s['threads'] > 1 else ''}: "
        f"{s['median']:.1f} GFLOP/s ({s['min']:.1f}-{s['max']:.1f}) / "
        f"{g['flops_per_sample']:,} GEMM FLOP per sample"
    )
    if g["is_bound"]:
        return f"GEMM limit {g['samples_per_second']:,.0f} samples/s = {sgemm}"
    return (
        f"GEMM limit: not a bound here ({sgemm} = {g['samples_per_second']:,.0f} "
        f"samples/s, but {g['reason']}: its own GEMMs ran faster than np.matmul did)"
    )


def footnotes(results: list[dict[str, Any]]) -> list[str]:
    out = [
        "samples/s: median over rounds; min-max and spread (max/min) over rounds. "
        "vs X: this engine / X in the same round, median (min-max) over rounds.",
        "thr: BLAS threads (nnplug's choice for the workload, or --threads); PyTorch runs "
        "with torch.set_num_threads(thr) and scikit-learn and sgemm under the same limit.",
    ]
    notes = {e["note"] for wl in results for e in wl["engines"].values() if e["note"]}
    out += [f"* {note}" for note in sorted(notes)]
    return out


def summary(
    meta: dict[str, Any],
    results: list[dict[str, Any]],
    warnings: list[str],
    rounds: int,
    seconds: float,
) -> list[str]:
    out = header(meta, rounds, seconds)
    for wl in results:
        out += ["", *workload_block(wl)]
    out += ["", *footnotes(results)]
    return out + [f"Warning: {w}" for w in warnings]


def concurrent_block(runs: list[dict[str, Any]]) -> list[str]:
    rows = [
        [
            c["workload"],
            c["engine"],
            c["path"],
            str(c["threads"]),
            f"{c['alone']['median']:,.0f}",
            ratio(c["together"][0]),
            ratio(c["together"][1]),
            f"{c['worst_ratio']:.2f}x",
        ]
        for c in runs
    ]
    return [
        "",
        "Two runs at once: each rate as a ratio of the same round's alone rate "
        "(median (min-max) over rounds; one subprocess per run)",
        *table(
            [
                "workload",
                "engine",
                "path",
                "thr",
                "alone samples/s",
                "run 1 / alone",
                "run 2 / alone",
                "worst",
            ],
            rows,
            left=3,
        ),
    ]


def profile_block(p: dict[str, Any]) -> list[str]:
    total = p["epoch_seconds"]
    rows = [
        [o["op"], str(o["calls"]), f"{o['seconds'] * 1e3:.2f}", f"{o['seconds'] / total:.1%}"]
        for o in p["ops"]
    ]
    rest = p["outside_ops_seconds"]
    rows.append(
        ["(outside ops: batching, metrics, Python)", "", f"{rest * 1e3:.2f}", f"{rest / total:.1%}"]
    )
    return [
        f"{p['workload']} {p['backend']}, per op, {p['threads']} BLAS thread"
        f"{'s' * (p['threads'] > 1)}: epoch "
        f"{total * 1e3:.1f} ms = {p['samples'] / total:,.0f} samples/s (profiled)",
        *table(["op", "calls", "ms/epoch", "share"], rows),
    ]


def profile_section(profiles: list[dict[str, Any]]) -> list[str]:
    out = [
        "",
        "Where a per-op epoch's time goes (--profile): every backend op timed, "
        "exclusive of the ops it calls; the compiled path is refused for this, so "
        "these epochs are per op (slower than above) and the timer adds ~1 us per op",
    ]
    for p in profiles:
        out += ["", *profile_block(p)]
    return out
