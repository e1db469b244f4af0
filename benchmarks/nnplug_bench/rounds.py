"""Interleaved rounds: every engine of a workload is timed once per round, in an order
rotated every round, so slow phases of a shared machine hit every engine alike and
ratios can be taken per round.

A measurement runs whole epochs until at least ``seconds`` have passed and reports
units (samples, or FLOPs for sgemm) per second of wall time. Warm-up -- compilation,
first touch of every buffer -- happened before, in :meth:`Engine.prepare`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nnplug_bench.engine import Engine

Clock = Callable[[], float]


@dataclass
class Measurement:
    rate: float  # units per second
    units: int
    seconds: float
    epochs: int


def measure(engine: Engine, seconds: float, clock: Clock = time.perf_counter) -> Measurement:
    """Whole epochs of ``engine`` until at least ``seconds`` have passed (at least one)."""
    units = epochs = 0
    with engine.running():
        t0 = clock()
        while True:
            units += engine.epoch()
            epochs += 1
            elapsed = clock() - t0
            if elapsed >= seconds:
                break
    return Measurement(units / elapsed if elapsed > 0 else float("inf"), units, elapsed, epochs)


def rotation(names: list[str], round_index: int) -> list[str]:
    """``names`` started at position ``round_index`` (mod len): each engine goes first
    once every ``len(names)`` rounds and follows every other engine equally often."""
    k = round_index % len(names) if names else 0
    return names[k:] + names[:k]


@dataclass
class Rounds:
    """Per engine, one rate per round (in round order), and each round's order."""

    rates: dict[str, list[float]] = field(default_factory=dict)
    epochs: dict[str, list[int]] = field(default_factory=dict)
    orders: list[list[str]] = field(default_factory=list)


def run_rounds(
    engines: Mapping[str, Engine],
    rounds: int,
    seconds: float,
    clock: Clock = time.perf_counter,
    on_measured: Callable[[int, str, Measurement], None] | None = None,
) -> Rounds:
    """``rounds`` rounds over prepared ``engines``; ``on_measured(round, name, m)`` is
    called after each measurement (progress)."""
    names = list(engines)
    out = Rounds({n: [] for n in names}, {n: [] for n in names})
    for r in range(rounds):
        order = rotation(names, r)
        out.orders.append(order)
        for name in order:
            m = measure(engines[name], seconds, clock)
            out.rates[name].append(m.rate)
            out.epochs[name].append(m.epochs)
            if on_measured is not None:
                on_measured(r, name, m)
    return out
