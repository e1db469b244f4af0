"""Fakes for the benchmark machinery: a clock that only moves when told, and engines
that advance it by a known time per epoch -- so statistics, rotation and warnings are
tested on exact numbers, with nothing timed."""
from __future__ import annotations

from nnplug_bench.engine import Engine


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeEngine(Engine):
    """Each epoch trains ``units`` samples in ``seconds_per_round[r]`` fake seconds, ``r``
    counting this engine's measurements; ``log`` records the order of epochs."""

    def __init__(self, name, clock, units, seconds_per_round, log=None):
        self.name, self.clock, self.units = name, clock, units
        self.seconds_per_round = list(seconds_per_round)
        self.log = log if log is not None else []
        self.measurement = 0
        self.path = "fake"

    def prepare(self):  # no warm-up epoch: it would shift the per-round times
        self.warmup_seconds = 0.0

    def running(self):
        self.measurement += 1
        return super().running()

    def epoch(self):
        self.log.append(self.name)
        self.clock.now += self.seconds_per_round[self.measurement - 1]
        return self.units
