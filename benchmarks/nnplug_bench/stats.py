"""The statistics of a benchmark run -- pure functions of the measured numbers, so they
are tested on fake timings.

* A rate's **median** over rounds is what a table shows; its **spread** is max/min.
* A **ratio** between two engines is taken *per round* (paired: the two ran within
  seconds of each other, under the same load) and summarised by its median and range.
* A **GEMM limit** (sgemm rate / GEMM FLOPs per sample) is only printed as a bound when
  no measured rate exceeds it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

#: spread (max/min over rounds) above which a rate gets a warning
SPREAD_WARNING = 1.25


@dataclass(frozen=True)
class Spread:
    """Median, minimum and maximum of a list of positive values."""

    median: float
    min: float
    max: float
    n: int

    @property
    def ratio(self) -> float:
        """max / min (1.0 = every round the same; inf when a value is 0)."""
        return self.max / self.min if self.min > 0 else float("inf")

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "spread": self.ratio}

    @classmethod
    def from_dict(cls, d: Mapping[str, float]) -> Spread:
        """Back from :meth:`as_dict` (extra keys ignored)."""
        return cls(d["median"], d["min"], d["max"], int(d["n"]))


def spread(values: Iterable[float]) -> Spread:
    vals = [float(v) for v in values]
    if not vals:
        raise ValueError("no values")
    return Spread(statistics.median(vals), min(vals), max(vals), len(vals))


def paired_ratios(a: Sequence[float], b: Sequence[float]) -> Spread:
    """``a[i] / b[i]`` for every round ``i`` (both measured in the same round)."""
    if len(a) != len(b):
        raise ValueError(f"unpaired: {len(a)} and {len(b)} rounds")
    return spread(x / y if y > 0 else float("inf") for x, y in zip(a, b, strict=True))


def gemm_limit(gflops: float, flops_per_sample: float) -> float:
    """Samples/s if training were nothing but its GEMMs at ``gflops``."""
    return gflops * 1e9 / flops_per_sample


@dataclass(frozen=True)
class GemmVerdict:
    limit: float
    is_bound: bool
    #: when not a bound: which engine beat it and by how much
    reason: str = ""


def gemm_verdict(limit: float, measured: Mapping[str, Sequence[float]]) -> GemmVerdict:
    """Is ``limit`` a bound? Only when no measured rate (any engine, any round) exceeds it;
    otherwise the sgemm timing understated what the engines' own GEMMs reach."""
    fastest = max(((max(v), name) for name, v in measured.items() if v), default=None)
    if fastest is None or fastest[0] <= limit:
        return GemmVerdict(limit, True)
    rate, name = fastest
    return GemmVerdict(
        limit, False, f"{name} measured {rate:,.0f} samples/s, {rate / limit:.2f}x this estimate"
    )


def spread_warnings(spreads: Mapping[str, Spread], threshold: float = SPREAD_WARNING) -> list[str]:
    """One line per rate whose max/min over rounds exceeds ``threshold``."""
    return [
        f"{label}: spread {s.ratio:.2f}x (max/min over {s.n} rounds) exceeds "
        f"{threshold:.2f}x: the machine was not steady; read its median (and what is "
        "derived from it) as rough"
        for label, s in spreads.items()
        if s.n > 1 and s.ratio > threshold
    ]


def load_warning(load: Sequence[float] | None, cores: int) -> str | None:
    """A line when the 1-minute load average exceeds the number of cores."""
    if load is None or load[0] <= cores:
        return None
    return (
        f"load average {load[0]:.2f} exceeds the {cores} cores: other processes "
        "compete for the CPU, so rates are low and uneven; rerun on a quiet machine"
    )
