"""The speed benchmark of ``nnplug bench``: for each workload, warm every engine up, run
interleaved rounds (sgemm included), and summarise -- JSON-ready dicts that
:mod:`.report` prints and ``--json`` writes."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable, Sequence
from typing import Any

from nnplug_bench import stats
from nnplug_bench.engines import make_engine
from nnplug_bench.rounds import Clock, Measurement, run_rounds
from nnplug_bench.workloads import WORKLOADS

#: the engine whose rate is the denominator of each table ratio column, when present
RATIO_COLUMNS = ("numpy", "torch")


def load_average() -> tuple[float, float, float] | None:
    try:
        return tuple(round(v, 2) for v in os.getloadavg())  # type: ignore[return-value]
    except (AttributeError, OSError):
        return None


def cores() -> int:
    return os.cpu_count() or 1


def machine() -> dict[str, Any]:
    """What the numbers were measured on and with."""
    from importlib import metadata

    versions = {}
    for dist in ("nnplug", "numpy", "numba", "scipy", "scikit-learn", "torch", "threadpoolctl"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "cores": cores(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def bench_workload(
    workload: str,
    engine_names: Sequence[str],
    *,
    rounds: int,
    seconds: float,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
    clock: Clock = time.perf_counter,
) -> dict[str, Any]:
    """Warm up, time ``rounds`` interleaved rounds, summarise one workload."""
    wl = WORKLOADS[workload]
    say = progress or (lambda text: None)
    engines = {name: make_engine(name, workload, threads) for name in [*engine_names, "sgemm"]}
    for name, engine in engines.items():
        say(f"{workload}: warming up {name}")
        engine.prepare()

    def measured(r: int, name: str, m: Measurement) -> None:
        say(f"{workload}: round {r + 1}/{rounds} {name}")

    res = run_rounds(engines, rounds, seconds, clock, on_measured=measured)
    trainers = {n: res.rates[n] for n in engine_names}
    sgemm: Any = engines["sgemm"]  # an SgemmEngine: .shape (not an Engine attribute)
    gflops = [r / 1e9 for r in res.rates["sgemm"]]
    g = stats.spread(gflops)
    verdict = stats.gemm_verdict(stats.gemm_limit(g.median, wl.flops_per_sample()), trainers)
    return {
        "workload": workload,
        "description": wl.describe(),
        "rows": wl.rows,
        "engines": {
            n: {
                **engines[n].describe(),
                "label": label(engines[n]),
                "samples_per_second": rates,
                "epochs": res.epochs[n],
                **stats.spread(rates).as_dict(),
            }
            for n, rates in trainers.items()
        },
        "ratios": {
            f"{a}/{b}": {
                "per_round": [x / y for x, y in zip(trainers[a], trainers[b], strict=True)],
                **stats.paired_ratios(trainers[a], trainers[b]).as_dict(),
            }
            for a in trainers
            for b in trainers
            if a != b
        },
        "sgemm": {
            "shape": list(sgemm.shape),
            "threads": sgemm.threads,
            "gflops": gflops,
            **g.as_dict(),
        },
        "gemm_limit": {
            "samples_per_second": verdict.limit,
            "is_bound": verdict.is_bound,
            "reason": verdict.reason,
            "flops_per_sample": wl.flops_per_sample(),
        },
        "orders": res.orders,
    }


def label(engine: Any) -> str:
    """Engine name with the peer's version (``torch 2.13.0``)."""
    version = getattr(engine, "version", "")
    return f"{engine.name} {version}".strip()


def run_warnings(
    results: list[dict[str, Any]],
    loads: Sequence[tuple[float, ...] | None],
    n_cores: int,
    threshold: float = stats.SPREAD_WARNING,
) -> list[str]:
    """The one-line warnings of a run: large spreads, and the highest load average seen."""
    spreads = {
        f"{wl['workload']} {name}": stats.Spread.from_dict(d)
        for wl in results
        for name, d in [*wl["engines"].items(), ("sgemm", wl["sgemm"])]
    }
    out = stats.spread_warnings(spreads, threshold)
    highest = max((ld for ld in loads if ld is not None), key=lambda ld: ld[0], default=None)
    line = stats.load_warning(highest, n_cores)
    return out + ([line] if line else [])
