"""Learning-rate schedules: the factor the base learning rate is multiplied by at each step.

A :class:`Schedule` is called with ``(step, steps_per_epoch, epochs)`` -- ``step`` counts
the optimizer steps already taken (0 for the first) -- and returns the multiplier for the
next step. The :class:`~nnplug.nn.solver.Solver` sets ``optimizer.lr = base_lr * schedule(...)``
before every step, so a run resumed from a checkpoint (which restores the step count)
continues on the same curve.

* ``constant`` -- 1.
* ``exp`` -- ``decay ** epoch``: the learning rate shrinks once per epoch (``--lr-decay``).
* ``cosine`` -- half a cosine from 1 down to ``floor`` over the whole run.
* ``onecycle`` -- Smith's one-cycle as PyTorch's ``OneCycleLR`` draws it: from 1/25 up to 1
  over the warm-up (30 % of the run unless ``warmup`` says otherwise), then a cosine down
  to ~0.

Every schedule may start with a linear warm-up over the first ``warmup`` fraction of all
steps (from ``start`` up to the schedule's value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCHEDULES = ("constant", "exp", "cosine", "onecycle")
#: one-cycle: start and end as fractions of the peak, default warm-up share (PyTorch's)
ONECYCLE_START, ONECYCLE_END, ONECYCLE_WARMUP = 1 / 25, 1 / 25e4, 0.3


@dataclass(frozen=True)
class Schedule:
    """``name`` in :data:`SCHEDULES`; ``warmup`` a fraction of all steps in [0, 1)."""

    name: str = "cosine"
    warmup: float | None = None
    decay: float = 0.95
    floor: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.name!r} (one of {', '.join(SCHEDULES)})")
        if self.warmup is not None and not 0 <= self.warmup < 1:
            raise ValueError(f"warmup must be in [0, 1), got {self.warmup!r}")
        if not 0 < self.decay <= 1:
            raise ValueError(f"decay must be in (0, 1], got {self.decay!r}")
        if not 0 <= self.floor <= 1:
            raise ValueError(f"floor must be in [0, 1], got {self.floor!r}")

    def __call__(self, step: int, steps_per_epoch: int, epochs: int) -> float:
        total = max(1, steps_per_epoch * epochs)
        onecycle = self.name == "onecycle"
        share = self.warmup if self.warmup is not None else (ONECYCLE_WARMUP if onecycle else 0.0)
        warm = round(share * total)
        if step < warm:
            start = ONECYCLE_START if onecycle else 0.0
            return start + (1.0 - start) * (step + 1) / warm
        if self.name == "constant":
            return 1.0
        if self.name == "exp":
            return self.decay ** (step // max(1, steps_per_epoch))
        floor = ONECYCLE_END if onecycle else self.floor
        progress = min(1.0, (step - warm) / max(1, total - warm))
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def describe(self) -> str:
        extra = f", decay {self.decay:g}/epoch" if self.name == "exp" else ""
        warm = f", warm-up {self.warmup:g}" if self.warmup else ""
        return f"{self.name}{extra}{warm}"
